// Polling: reads what the server holds for this chat, often while an answer is on its way.
import { anythingPending, pendingIds, remember, removeDraft, state } from "./state.js";
import { render, resetView, setOnline } from "./render.js";
import { HttpError, readMessages } from "./transport.js";

const POLL_BUSY_MS = 700;      // while an answer is being made
const POLL_IDLE_MS = 4000;     // nothing pending: pick up replies from other tabs
const POLL_HIDDEN_MS = 15000;  // tab in the background
const DELETED = "The history of this chat was deleted from the server.";

let pollTimer = null;
let polling = false;

export function schedulePoll(delay) {
  clearTimeout(pollTimer);
  const wait = delay ?? (document.hidden ? POLL_HIDDEN_MS
    : anythingPending() ? POLL_BUSY_MS : POLL_IDLE_MS);
  pollTimer = setTimeout(poll, wait);
}

function merge(rows) {
  const changed = remember(rows);
  if (changed.length) render(changed);
}

export async function poll() {
  if (polling || state.posting) return schedulePoll();
  polling = true;
  let again = false;
  try {
    // Re-read pending incoming messages (their state changes) and anything newer.
    const waiting = pendingIds().concat(state.drafts.filter((d) => d.serverId).map((d) => d.serverId));
    const from = Math.min(state.lastId, ...waiting.map((id) => id - 1));
    const rows = await readMessages(from);
    const seen = new Set(rows.map((row) => row.id));
    setOnline(true);
    const vanished = new Set(waiting.filter((id) => !seen.has(id)));
    if (vanished.size) {
      for (const draft of state.drafts.filter((d) => vanished.has(d.serverId))) {
        removeDraft(draft);
        if (draft.node) draft.node.remove();
      }
      resetView(DELETED);
      again = true;
    } else {
      merge(rows);
      const closing = rows.filter((row) => row.event === "history_deleted");
      if (closing.length) {
        // /forget was carried out: show what the server still holds, from scratch. Having
        // read it, the server deletes the confirmation too; this page keeps showing it.
        const full = await readMessages(0).catch((failure) => {
          if (failure instanceof HttpError) return null;
          throw failure;
        });
        if (full) {
          const held = new Set(full.map((row) => row.id));
          resetView(DELETED);
          merge(full.concat(closing.filter((row) => !held.has(row.id)))
            .sort((a, b) => a.id - b.id));
        }
      }
    }
  } catch (_) {
    setOnline(false);
  } finally {
    polling = false;
    schedulePoll(again ? 0 : undefined);
  }
}
