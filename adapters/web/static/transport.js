// The chat's JSON API over fetch: reading the messages (polling) and posting one.
import { chatId, replaceRefused } from "./identity.js";

export class HttpError extends Error {
  constructor(status) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

const messagesPath = (id) => `/api/chats/${encodeURIComponent(id)}/messages`;
let firstRead = null;  // settles once the server has been asked which chat id holds

async function read(after) {
  for (;;) {
    const id = await chatId();
    const response = await fetch(`${messagesPath(id)}?after=${after}`, { cache: "no-store" });
    if (response.status === 400 && await replaceRefused(id)) continue;
    if (!response.ok) throw new HttpError(response.status);
    return response.json();
  }
}

export function readMessages(after) {
  // The chat's messages with an id above `after`, oldest first.
  const reading = read(after);
  if (!firstRead) firstRead = reading.then(() => {}, () => {});
  return reading;
}

export async function postMessage(draft) {
  // One attempt; the same client_message_id makes a repeat a no-op on the server.
  if (firstRead) await firstRead;
  const body = new FormData();
  body.append("client_message_id", draft.clientId);
  if (draft.file) body.append(draft.field, draft.file, draft.file.name || "upload");
  if (draft.text && draft.field !== "voice" && draft.field !== "audio") body.append("text", draft.text);
  const response = await fetch(messagesPath(await chatId()), { method: "POST", body });
  let payload = null;
  try { payload = await response.json(); } catch (_) { payload = null; }
  return { status: response.status, payload };
}
