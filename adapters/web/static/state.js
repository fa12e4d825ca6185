// What the page knows of the chat: the server's messages, the last id, the drafts, the staged file.

const PENDING = new Set(["received", "working"]);

export const state = {
  messages: new Map(),    // server id -> message JSON
  localMedia: new Map(),  // server id -> {url, kind} of what this tab uploaded
  drafts: [],             // optimistic bubbles not yet accepted by the server
  lastId: 0,
  posting: 0,             // posts in flight
  online: true,
  staged: null,           // {file, field, url}
};

function answered(inId) {
  for (const m of state.messages.values()) if (m.direction === "out" && m.answer_to === inId) return true;
  return false;
}

export function isPending(m) {
  return m.direction === "in" && PENDING.has(m.state) && !answered(m.id);
}

export function firstPending() {
  return [...state.messages.values()].find(isPending);
}

export function pendingIds() {
  return [...state.messages.values()].filter(isPending).map((m) => m.id);
}

export function anythingPending() {
  if (state.posting || state.drafts.some((d) => !d.failed)) return true;
  for (const m of state.messages.values()) if (isPending(m)) return true;
  return false;
}

export function removeDraft(draft) {
  const at = state.drafts.indexOf(draft);
  if (at >= 0) state.drafts.splice(at, 1);
}

function same(a, b) {
  return a && a.state === b.state && a.transcript === b.transcript && a.caption === b.caption
    && a.text === b.text && a.voice_url === b.voice_url && a.error === b.error
    && a.attachment_url === b.attachment_url && a.progress === b.progress;
}

export function remember(rows) {
  // Store the server's rows; the ids whose bubbles need drawing again.
  const changed = [];
  for (const row of rows) {
    if (!same(state.messages.get(row.id), row)) changed.push(row.id);
    state.messages.set(row.id, row);
    if (row.id > state.lastId) state.lastId = row.id;
  }
  return changed;
}

export function forgetMessages() {
  state.messages.clear();
  state.localMedia.clear();
  state.lastId = 0;
}
