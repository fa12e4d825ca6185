// The composer: the text box, the send button and the staged attachment, and what a submit takes.
import { ui } from "./dom.js";
import { isAudio } from "./format.js";
import { state } from "./state.js";
import { clearError, hideChip, showChip } from "./render.js";

export function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
}

export function refreshSendButton() {
  ui.send.disabled = !state.staged && !ui.input.value.trim();
}

export function stage(file) {
  unstage(true);
  if (!file) return;
  const field = (file.type || "").startsWith("image/") ? "image" : isAudio(file) ? "audio" : "image";
  state.staged = { file, field, url: field === "image" ? URL.createObjectURL(file) : null };
  showChip(file, field === "image" ? "photo" : "audio", state.staged.url);
  ui.input.placeholder = field === "image" ? "Add a caption (optional)" : "Message omnivox";
  clearError();
  refreshSendButton();
}

export function unstage(revoke) {
  if (state.staged && state.staged.url && revoke) URL.revokeObjectURL(state.staged.url);
  state.staged = null;
  hideChip();
  ui.attach.value = "";
  ui.input.placeholder = "Message omnivox";
  refreshSendButton();
}

export function takeInput() {
  // What to send for the composer as it stands ({text, file, field}), emptied; null for nothing.
  const text = ui.input.value;
  if (state.staged) {
    const { file, field } = state.staged;
    const caption = field === "image" ? text.trim() : "";
    unstage(false);
    if (field === "image") { ui.input.value = ""; autosize(); }
    return { text: caption, file, field };
  }
  if (!text.trim()) return null;
  ui.input.value = "";
  autosize();
  return { text };
}

export function restoreText(text) {
  // A message the server refused goes back into an empty text box.
  if (!text || ui.input.value) return;
  ui.input.value = text;
  autosize();
  refreshSendButton();
}
