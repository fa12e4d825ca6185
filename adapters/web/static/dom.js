// The page's fixed elements by name, and one helper that makes new ones.

const $ = (id) => document.getElementById(id);

export const ui = {
  thread: $("thread"), list: $("messages"), empty: $("empty"), status: $("status"),
  form: $("composer"), input: $("composer-input"), send: $("send-button"),
  attach: $("attach-input"), mic: $("mic-button"), recTime: $("rec-time"),
  error: $("error-line"), chip: $("chip"), chipName: $("chip-name"),
  chipThumb: $("chip-thumb"), chipRemove: $("chip-remove"), newChat: $("new-chat"),
  talk: $("talk-button"), talkPanel: $("talk-panel"), talkState: $("talk-state"),
  talkMute: $("talk-mute"), talkHangup: $("talk-hangup"), talkLines: $("talk-lines"),
  talkAudio: $("talk-audio"),
};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "testid") node.dataset.testid = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}
