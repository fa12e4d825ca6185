// Which chat this browser is: the server issues and checks chat ids; localStorage keeps the one in
// use (or, when storage is blocked, this tab alone does).

const KEY = "omnivox.chat_id";
const refused = new Set();  // ids the server turned down in this tab
let current = null;         // Promise of the chat id in use
let stored = null;          // that id, when it came from localStorage rather than the server

function load() {
  try {
    const known = localStorage.getItem(KEY);
    return known && !refused.has(known) ? known : null;
  } catch (_) {
    return null;  // storage blocked
  }
}

function keep(id) {
  try { localStorage.setItem(KEY, id); } catch (_) { /* storage blocked: this tab only */ }
}

function drop(id) {
  try { if (localStorage.getItem(KEY) === id) localStorage.removeItem(KEY); } catch (_) { /* blocked */ }
}

async function issue() {
  const response = await fetch("/api/chats", { method: "POST", cache: "no-store" });
  if (response.status !== 201) throw new Error(`HTTP ${response.status}`);
  const { chat_id: id } = await response.json();
  keep(id);
  return id;
}

export function chatId() {
  if (!current) {
    stored = load();
    const chosen = stored ? Promise.resolve(stored) : issue();
    chosen.catch(() => { if (current === chosen) current = null; });  // ask again next time
    current = chosen;
  }
  return current;
}

export async function replaceRefused(id) {
  // The server answered 400 for `id`: true when another id is now to be tried.
  const now = await chatId().catch(() => null);
  if (now !== id) return true;  // already replaced (or no id to be had: the retry fails on its own)
  if (id !== stored) return false;  // the server refused an id it issued: nothing better to try
  refused.add(id);
  drop(id);
  current = null;
  return true;
}
