// The DOM of one message or draft bubble; what its buttons do is handed in by the entry module.
import { el } from "./dom.js";
import { formatDuration, formatTime } from "./format.js";

const actions = { choose: () => {}, retry: () => {} };

export function onBubbleActions(handlers) {
  // choose(command): a choice button was pressed; retry(draft): "Not sent — retry" was.
  Object.assign(actions, handlers);
}

function bodyOfIncoming(m, media) {
  const bubble = el("div", { class: "bubble" });
  if (m.kind === "photo") {
    if (media && media.url) {
      bubble.append(el("img", { class: "photo", src: media.url, alt: m.text || "your photo",
        testid: "photo-thumb" }));
    } else {
      bubble.append(el("div", { class: "media-label", text: "📷 photo", testid: "photo-label" }));
    }
  } else if (m.kind === "voice" || m.kind === "audio") {
    const label = m.kind === "voice" ? "🎤 voice note" : "🎵 audio file";
    bubble.append(el("div", { class: "media-label", text: label }));
    if (media && media.url) {
      bubble.append(el("audio", { controls: true, preload: "metadata", src: media.url,
        class: "player", "aria-label": "your recording" }));
    }
  } else if (m.kind === "unsupported") {
    bubble.append(el("div", { class: "media-label", text: "unsupported content" }));
  }
  if (m.text && m.kind !== "voice" && m.kind !== "audio") {
    bubble.append(el("div", { class: "text", text: m.text }));
  }
  return bubble;
}

function notesOfIncoming(m) {
  const notes = [];
  if (m.transcript) {
    notes.push(el("div", { class: "under transcript", testid: "transcript",
      text: `“${m.transcript}”` }));
  }
  if (m.kind === "photo" && m.caption) {
    notes.push(el("div", { class: "under seen", testid: "photo-caption",
      text: `Seen: ${m.caption}` }));
  }
  if (m.state === "failed") {
    notes.push(el("div", { class: "under failed", testid: "message-error",
      text: `not answered: ${m.error || "something went wrong"}` }));
  }
  return notes;
}

function notesOfOutgoing(m) {
  if (m.state !== "failed" || !m.error) return [];
  return [el("div", { class: "under failed", testid: "message-error",
    text: `not delivered: ${m.error}` })];
}

function copyButton(text) {
  const button = el("button", { type: "button", class: "copy", "aria-label": "Copy the answer",
    title: "Copy", text: "Copy" });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (_) {
      button.textContent = "Copy failed";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  return button;
}

function bodyOfOutgoing(m) {
  const bubble = el("div", { class: "bubble" });
  if (m.voice_url) {
    bubble.append(el("audio", { controls: true, preload: "none", src: m.voice_url,
      class: "player", testid: "voice-player", "aria-label": "voice reply" }));
    const length = m.voice_duration ? ` · ${formatDuration(m.voice_duration)}` : "";
    bubble.append(el("span", { class: "voice-meta", text: `voice reply${length}` }));
  }
  if (m.text) bubble.append(el("div", { class: "text", testid: "reply-text", text: m.text }));
  if (m.attachment_url) {
    bubble.append(el("a", { class: "download", href: m.attachment_url, download: "",
      testid: "attachment-link", text: "⬇ Download file" }));
  }
  if (m.choices && m.choices.length) {
    const row = el("div", { class: "choices", testid: "choices" });
    for (const choice of m.choices) {
      const button = el("button", { type: "button", class: "choice", text: choice.label,
        title: choice.command, testid: "choice" });
      button.addEventListener("click", () => actions.choose(choice.command));
      row.append(button);
    }
    bubble.append(row);
  }
  return bubble;
}

export function renderMessage(m, media) {
  const out = m.direction === "out";
  const li = el("li", { class: `msg ${out ? "out" : "in"}`, testid: out ? "message-out" : "message-in",
    "data-id": m.id });
  const bubble = out ? bodyOfOutgoing(m) : bodyOfIncoming(m, media);
  bubble.title = formatTime(m.created_at);
  li.append(bubble);
  if (out && m.text) li.append(el("div", { class: "actions" }, copyButton(m.text)));
  updateNotes(li, m);
  return li;
}

export function updateNotes(li, m) {
  // Only the state line and the notes under a bubble change: players keep playing.
  li.dataset.state = m.state;
  li.querySelectorAll(":scope > .under").forEach((n) => n.remove());
  li.append(...(m.direction === "out" ? notesOfOutgoing(m) : notesOfIncoming(m)));
}

export function renderDraft(draft) {
  const m = { kind: draft.kind, text: draft.text };
  const li = el("li", { class: "msg in draft", testid: "message-in",
    "data-state": draft.failed ? "unsent" : "sending" }, bodyOfIncoming(m, draft.media));
  if (draft.failed) {
    const retry = el("button", { type: "button", class: "linkish", testid: "retry-send",
      text: "Not sent — retry" });
    retry.addEventListener("click", () => actions.retry(draft));
    li.append(el("div", { class: "under failed" }, retry));
  }
  return li;
}
