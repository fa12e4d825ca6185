// omnivox web chat, the entry module: wires the page's controls to the other modules and starts.
import { ui } from "./dom.js";
import { onBubbleActions } from "./bubbles.js";
import { autosize, refreshSendButton, stage, takeInput, unstage } from "./composer.js";
import { isRecording, startRecording, stopRecording } from "./recording.js";
import { retry, send } from "./sending.js";
import { poll, schedulePoll } from "./sync.js";
import { hangUp, inTalk, startTalk, talkStats, toggleMute } from "./talk.js";

function submit() {
  const message = takeInput();
  if (!message) return;
  send(message);
  refreshSendButton();
  ui.input.focus();
}

onBubbleActions({ choose: (command) => send({ text: command }), retry });

ui.form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
ui.input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  }
});
ui.input.addEventListener("input", () => { autosize(); refreshSendButton(); });
ui.attach.addEventListener("change", () => stage(ui.attach.files && ui.attach.files[0]));
ui.chipThumb.addEventListener("error", () => { ui.chipThumb.hidden = true; });
ui.chipRemove.addEventListener("click", () => { unstage(true); ui.input.focus(); });
ui.mic.addEventListener("click", () => {
  if (isRecording()) stopRecording(false);
  else startRecording();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && isRecording()) stopRecording(true);
});
ui.input.addEventListener("paste", (e) => {
  const file = [...(e.clipboardData ? e.clipboardData.files : [])][0];
  if (file) { e.preventDefault(); stage(file); }
});
ui.thread.addEventListener("dragover", (e) => e.preventDefault());
ui.thread.addEventListener("drop", (e) => {
  e.preventDefault();
  const file = e.dataTransfer && e.dataTransfer.files[0];
  if (file) stage(file);
});
ui.talk.addEventListener("click", () => { if (inTalk()) hangUp(); else startTalk(); });
ui.talkMute.addEventListener("click", toggleMute);
ui.talkHangup.addEventListener("click", () => hangUp());
ui.newChat.addEventListener("click", () => send({ text: "/new" }));
document.addEventListener("visibilitychange", () => { if (!document.hidden) schedulePoll(0); });

window.omnivox = Object.freeze({ talkStats });  // read-only, for diagnostics and tests

autosize();
refreshSendButton();
poll();
ui.input.focus();
