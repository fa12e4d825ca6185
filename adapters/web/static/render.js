// Keeps the page in step with the state: bubbles in id order, the pending indicator, notices,
// the connection status, the error line and the attachment chip.
import { el, ui } from "./dom.js";
import { formatSize } from "./format.js";
import { firstPending, forgetMessages, removeDraft, state } from "./state.js";
import { renderDraft, renderMessage, updateNotes } from "./bubbles.js";

const nodes = new Map();  // server id -> <li>

const indicator = el("li", { class: "msg out pending", testid: "pending-indicator" },
  el("div", { class: "bubble" },
    el("span", { class: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
    el("span", { class: "pending-words" })));

function pendingWords() {
  const first = firstPending();
  if (!first) return state.drafts.some((d) => !d.failed) ? "sending…" : null;
  if ((first.kind === "voice" || first.kind === "audio") && !first.transcript) return first.progress || "transcribing…";
  if (first.kind === "photo" && !first.caption) return "looking at the photo…";
  return "thinking…";
}

function nearBottom() {
  const t = ui.thread;
  return t.scrollHeight - t.scrollTop - t.clientHeight < 120;
}

function scrollToEnd() {
  ui.thread.scrollTop = ui.thread.scrollHeight;
}

function place(node, id) {
  // keep server messages in id order; drafts and the indicator stay at the end
  let before = null;
  for (const [otherId, other] of nodes) {
    if (otherId > id && other.isConnected && (!before || otherId < Number(before.dataset.id))) before = other;
  }
  if (!before) before = state.drafts.find((d) => d.node && d.node.isConnected)?.node || null;
  if (!before && indicator.isConnected) before = indicator;
  ui.list.insertBefore(node, before);
}

function renderChanged(id) {
  const m = state.messages.get(id);
  const old = nodes.get(id);
  const draft = state.drafts.find((d) => d.serverId === id);
  if (draft) {  // the server has it now: the real bubble takes the draft's place
    state.localMedia.set(id, draft.media);
    removeDraft(draft);
    if (old) {
      if (draft.node) draft.node.remove();
      updateNotes(old, m);
      return;
    }
    const fresh = renderMessage(m, state.localMedia.get(id));
    nodes.set(id, fresh);
    if (draft.node && draft.node.isConnected) draft.node.replaceWith(fresh);
    else place(fresh, id);
  } else if (old) {
    updateNotes(old, m);
  } else {
    const fresh = renderMessage(m, state.localMedia.get(id));
    nodes.set(id, fresh);
    place(fresh, id);
  }
}

export function render(changedIds = []) {
  const stick = nearBottom() || changedIds.length > 0;
  for (const id of changedIds) renderChanged(id);
  for (const draft of state.drafts) {
    const drawn = draft.failed ? "unsent" : "sending";
    if (!draft.node || draft.node.dataset.state !== drawn) {
      const fresh = renderDraft(draft);
      if (draft.node && draft.node.isConnected) draft.node.replaceWith(fresh);
      else ui.list.insertBefore(fresh, indicator.isConnected ? indicator : null);
      draft.node = fresh;
    }
  }
  const words = pendingWords();
  if (words) {
    indicator.querySelector(".pending-words").textContent = ` ${words}`;
    indicator.setAttribute("aria-label", words);
    if (ui.list.lastElementChild !== indicator) ui.list.append(indicator);
  } else if (indicator.isConnected) {
    indicator.remove();
  }
  ui.empty.hidden = nodes.size + state.drafts.length > 0;
  if (stick) scrollToEnd();
}

export function resetView(note) {
  // The server's history was deleted (/forget): start again from what it has now.
  forgetMessages();
  for (const node of nodes.values()) node.remove();
  nodes.clear();
  ui.list.querySelectorAll(".notice").forEach((n) => n.remove());
  if (note) ui.list.prepend(el("li", { class: "notice", testid: "notice", text: note }));
  render();
}

export function showError(text) {
  ui.error.textContent = String(text).split("\n")[0];
  ui.error.hidden = false;
}

export function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

export function setOnline(ok) {
  if (ok === state.online) return;
  state.online = ok;
  ui.status.hidden = ok;
  ui.status.textContent = ok ? "" : "Offline — reconnecting…";
}

export function showChip(file, what, url) {
  ui.chipName.textContent = `${file.name || what} · ${formatSize(file.size)}`;
  ui.chipName.title = `${what} to send`;
  ui.chipThumb.hidden = !url;
  if (url) ui.chipThumb.src = url;
  ui.chip.hidden = false;
}

export function hideChip() {
  ui.chip.hidden = true;
  ui.chipThumb.removeAttribute("src");
}
