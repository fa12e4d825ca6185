// Sending: a message shows at once as a draft bubble and is posted, with retries, until taken.
import { state, removeDraft } from "./state.js";
import { clearError, render, resetView, setOnline, showError } from "./render.js";
import { postMessage } from "./transport.js";
import { schedulePoll } from "./sync.js";
import { restoreText } from "./composer.js";

const SEND_RETRIES = 3;

function randomId(bytes) {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

function explain(status, payload) {
  if (payload && typeof payload.error === "string") return payload.error;
  if (status === 413) return "That file is too large to send.";
  if (status === 429) return "Too many messages; please wait a minute.";
  return `The server could not take that message (HTTP ${status}).`;
}

async function deliverDraft(draft) {
  state.posting += 1;
  render();
  let outcome = null;
  for (let attempt = 0; attempt <= SEND_RETRIES && !outcome; attempt += 1) {
    try {
      outcome = await postMessage(draft);  // same client_message_id: a retry is a no-op
      if (outcome.status >= 500) outcome = null;
    } catch (_) {
      outcome = null;
    }
    if (!outcome && attempt < SEND_RETRIES) await new Promise((r) => setTimeout(r, 800 * 2 ** attempt));
  }
  state.posting -= 1;
  if (!outcome) {
    draft.failed = true;
    setOnline(false);
    showError("Could not reach omnivox; the message was not sent.");
  } else if (outcome.status === 202 && outcome.payload) {
    setOnline(true);
    draft.serverId = outcome.payload.message_id;
    if (draft.serverId <= state.lastId && !state.messages.has(draft.serverId)) resetView(null);
    if (state.messages.has(draft.serverId)) render([draft.serverId]);
  } else {
    removeDraft(draft);
    if (draft.node) draft.node.remove();
    if (draft.media && draft.media.url) URL.revokeObjectURL(draft.media.url);
    restoreText(draft.text);  // nothing typed is lost
    showError(explain(outcome.status, outcome.payload));
  }
  render();
  schedulePoll(0);
}

export function retry(draft) {
  draft.failed = false;
  deliverDraft(draft);
}

export function send({ text = "", file = null, field = null }) {
  clearError();
  const kind = field === "image" ? "photo" : field ? field : "text";
  let media = null;
  if (file) media = { url: URL.createObjectURL(file), kind };
  const draft = { clientId: `web-${randomId(12)}`, text, file, field, kind, media,
    failed: false, node: null, serverId: null };
  state.drafts.push(draft);
  deliverDraft(draft);
}
