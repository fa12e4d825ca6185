// omnivox web chat: one page, no dependencies. Talks to /api/chats/{chat_id}/messages.
"use strict";

(() => {
  const POLL_BUSY_MS = 700;      // while an answer is being made
  const POLL_IDLE_MS = 4000;     // nothing pending: pick up replies from other tabs
  const POLL_HIDDEN_MS = 15000;  // tab in the background
  const MAX_RECORDING_S = 300;
  const SEND_RETRIES = 3;
  const PENDING = new Set(["received", "working"]);

  const $ = (id) => document.getElementById(id);
  const ui = {
    thread: $("thread"), list: $("messages"), empty: $("empty"), status: $("status"),
    form: $("composer"), input: $("composer-input"), send: $("send-button"),
    attach: $("attach-input"), mic: $("mic-button"), recTime: $("rec-time"),
    error: $("error-line"), chip: $("chip"), chipName: $("chip-name"),
    chipThumb: $("chip-thumb"), chipRemove: $("chip-remove"), newChat: $("new-chat"),
  };

  // ---- identity ----------------------------------------------------------

  function randomId(bytes) {
    const buf = new Uint8Array(bytes);
    crypto.getRandomValues(buf);
    return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function chatIdForThisBrowser() {
    const key = "omnivox.chat_id";
    try {
      const known = localStorage.getItem(key);
      if (known && /^[A-Za-z0-9_-]{1,64}$/.test(known)) return known;
      const made = "web-" + randomId(12);
      localStorage.setItem(key, made);
      return made;
    } catch (_) {
      return "web-" + randomId(12);  // storage blocked: this tab only
    }
  }

  const chatId = chatIdForThisBrowser();
  const api = `/api/chats/${encodeURIComponent(chatId)}/messages`;

  // ---- state -------------------------------------------------------------

  const messages = new Map();  // server id -> message JSON
  const nodes = new Map();     // server id -> <li>
  const localMedia = new Map(); // server id -> {url, kind} of what this tab uploaded
  const drafts = [];           // optimistic bubbles not yet accepted by the server
  let lastId = 0;
  let posting = 0;
  let pollTimer = null;
  let polling = false;
  let online = true;
  let staged = null;           // {file, field, url}

  // ---- small helpers -----------------------------------------------------

  function el(tag, attrs = {}, ...children) {
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

  function showError(text) {
    ui.error.textContent = String(text).split("\n")[0];
    ui.error.hidden = false;
  }

  function clearError() {
    ui.error.hidden = true;
    ui.error.textContent = "";
  }

  function setOnline(ok) {
    if (ok === online) return;
    online = ok;
    ui.status.hidden = ok;
    ui.status.textContent = ok ? "" : "Offline — reconnecting…";
  }

  function nearBottom() {
    const t = ui.thread;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 120;
  }

  function scrollToEnd() {
    ui.thread.scrollTop = ui.thread.scrollHeight;
  }

  function formatDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  function formatTime(iso) {
    const when = new Date(iso);
    return Number.isNaN(when.getTime()) ? "" : when.toLocaleString();
  }

  function isAudio(file) {
    return (file.type || "").startsWith("audio/") || /\.(ogg|oga|opus|mp3|m4a|wav|webm|flac)$/i.test(file.name || "");
  }

  // ---- rendering ---------------------------------------------------------

  function answered(inId) {
    for (const m of messages.values()) if (m.direction === "out" && m.answer_to === inId) return true;
    return false;
  }

  function isPending(m) {
    return m.direction === "in" && PENDING.has(m.state) && !answered(m.id);
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
        button.addEventListener("click", () => send({ text: choice.command }));
        row.append(button);
      }
      bubble.append(row);
    }
    return bubble;
  }

  function renderMessage(m) {
    const out = m.direction === "out";
    const li = el("li", { class: `msg ${out ? "out" : "in"}`, testid: out ? "message-out" : "message-in",
      "data-id": m.id });
    const bubble = out ? bodyOfOutgoing(m) : bodyOfIncoming(m, localMedia.get(m.id));
    bubble.title = formatTime(m.created_at);
    li.append(bubble);
    if (out && m.text) li.append(el("div", { class: "actions" }, copyButton(m.text)));
    updateNotes(li, m);
    return li;
  }

  function updateNotes(li, m) {
    // Only the state line and the notes under a bubble change: players keep playing.
    li.dataset.state = m.state;
    li.querySelectorAll(":scope > .under").forEach((n) => n.remove());
    li.append(...(m.direction === "out" ? notesOfOutgoing(m) : notesOfIncoming(m)));
  }

  function renderDraft(draft) {
    const m = { kind: draft.kind, text: draft.text };
    const li = el("li", { class: "msg in draft", testid: "message-in",
      "data-state": draft.failed ? "unsent" : "sending" }, bodyOfIncoming(m, draft.media));
    if (draft.failed) {
      const retry = el("button", { type: "button", class: "linkish", testid: "retry-send",
        text: "Not sent — retry" });
      retry.addEventListener("click", () => { draft.failed = false; deliverDraft(draft); });
      li.append(el("div", { class: "under failed" }, retry));
    }
    return li;
  }

  const indicator = el("li", { class: "msg out pending", testid: "pending-indicator" },
    el("div", { class: "bubble" },
      el("span", { class: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
      el("span", { class: "pending-words" })));

  function pendingWords() {
    const first = [...messages.values()].find(isPending);
    if (!first) return drafts.some((d) => !d.failed) ? "sending…" : null;
    if ((first.kind === "voice" || first.kind === "audio") && !first.transcript) return "transcribing…";
    if (first.kind === "photo" && !first.caption) return "looking at the photo…";
    return "thinking…";
  }

  function place(node, id) {
    // keep server messages in id order; drafts and the indicator stay at the end
    let before = null;
    for (const [otherId, other] of nodes) {
      if (otherId > id && other.isConnected && (!before || otherId < Number(before.dataset.id))) before = other;
    }
    if (!before) before = drafts.find((d) => d.node && d.node.isConnected)?.node || null;
    if (!before && indicator.isConnected) before = indicator;
    ui.list.insertBefore(node, before);
  }

  function render(changedIds = []) {
    const stick = nearBottom() || changedIds.length > 0;
    for (const id of changedIds) {
      const m = messages.get(id);
      const old = nodes.get(id);
      const draft = drafts.find((d) => d.serverId === id);
      if (draft) {  // the server has it now: the real bubble takes the draft's place
        localMedia.set(id, draft.media);
        drafts.splice(drafts.indexOf(draft), 1);
        if (old) {
          if (draft.node) draft.node.remove();
          updateNotes(old, m);
          continue;
        }
        const fresh = renderMessage(m);
        nodes.set(id, fresh);
        if (draft.node && draft.node.isConnected) draft.node.replaceWith(fresh);
        else place(fresh, id);
      } else if (old) {
        updateNotes(old, m);
      } else {
        const fresh = renderMessage(m);
        nodes.set(id, fresh);
        place(fresh, id);
      }
    }
    for (const draft of drafts) {
      const state = draft.failed ? "unsent" : "sending";
      if (!draft.node || draft.node.dataset.state !== state) {
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
    ui.empty.hidden = nodes.size + drafts.length > 0;
    if (stick) scrollToEnd();
  }

  // ---- polling -----------------------------------------------------------

  function anythingPending() {
    if (posting || drafts.some((d) => !d.failed)) return true;
    for (const m of messages.values()) if (isPending(m)) return true;
    return false;
  }

  function schedulePoll(delay) {
    clearTimeout(pollTimer);
    const wait = delay ?? (document.hidden ? POLL_HIDDEN_MS
      : anythingPending() ? POLL_BUSY_MS : POLL_IDLE_MS);
    pollTimer = setTimeout(poll, wait);
  }

  function pendingIds() {
    return [...messages.values()].filter(isPending).map((m) => m.id);
  }

  function resetView(note) {
    // The server's history was deleted (/forget): start again from what it has now.
    messages.clear();
    localMedia.clear();
    for (const node of nodes.values()) node.remove();
    nodes.clear();
    ui.list.querySelectorAll(".notice").forEach((n) => n.remove());
    lastId = 0;
    if (note) ui.list.prepend(el("li", { class: "notice", testid: "notice", text: note }));
    render();
  }

  async function poll() {
    if (polling || posting) return schedulePoll();
    polling = true;
    let again = false;
    try {
      // Re-read pending incoming messages (their state changes) and anything newer.
      const waiting = pendingIds().concat(drafts.filter((d) => d.serverId).map((d) => d.serverId));
      const from = Math.min(lastId, ...waiting.map((id) => id - 1));
      const response = await fetch(`${api}?after=${from}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const rows = await response.json();
      const seen = new Set(rows.map((row) => row.id));
      setOnline(true);
      const vanished = new Set(waiting.filter((id) => !seen.has(id)));
      if (vanished.size) {
        for (const draft of drafts.filter((d) => vanished.has(d.serverId))) {
          drafts.splice(drafts.indexOf(draft), 1);
          if (draft.node) draft.node.remove();
        }
        resetView("The history of this chat was deleted from the server.");
        again = true;
      } else {
        merge(rows);
        if (rows.some(answersForget)) {
          // /forget was carried out: show what the server still holds, from scratch.
          const full = await fetch(`${api}?after=0`, { cache: "no-store" });
          if (full.ok) {
            resetView("The history of this chat was deleted from the server.");
            merge(await full.json());
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

  function answersForget(row) {
    if (row.direction !== "out" || !row.answer_to) return false;
    const asked = messages.get(row.answer_to);
    return Boolean(asked && /^\/forget\s+(confirm|yes)\b/i.test((asked.text || "").trim()));
  }

  function same(a, b) {
    return a && a.state === b.state && a.transcript === b.transcript && a.caption === b.caption
      && a.text === b.text && a.voice_url === b.voice_url && a.error === b.error
      && a.attachment_url === b.attachment_url;
  }

  function merge(rows) {
    const changed = [];
    for (const row of rows) {
      if (!same(messages.get(row.id), row)) changed.push(row.id);
      messages.set(row.id, row);
      if (row.id > lastId) lastId = row.id;
    }
    if (changed.length) render(changed);
  }

  // ---- sending -----------------------------------------------------------

  async function postOnce(draft) {
    const body = new FormData();
    body.append("client_message_id", draft.clientId);
    if (draft.file) body.append(draft.field, draft.file, draft.file.name || "upload");
    if (draft.text && draft.field !== "voice" && draft.field !== "audio") body.append("text", draft.text);
    const response = await fetch(api, { method: "POST", body });
    let payload = null;
    try { payload = await response.json(); } catch (_) { payload = null; }
    return { status: response.status, payload };
  }

  function explain(status, payload) {
    if (payload && typeof payload.error === "string") return payload.error;
    if (status === 413) return "That file is too large to send.";
    if (status === 429) return "Too many messages; please wait a minute.";
    return `The server could not take that message (HTTP ${status}).`;
  }

  async function deliverDraft(draft) {
    posting += 1;
    render();
    let outcome = null;
    for (let attempt = 0; attempt <= SEND_RETRIES && !outcome; attempt += 1) {
      try {
        outcome = await postOnce(draft);  // same client_message_id: a retry is a no-op
        if (outcome.status >= 500) outcome = null;
      } catch (_) {
        outcome = null;
      }
      if (!outcome && attempt < SEND_RETRIES) await new Promise((r) => setTimeout(r, 800 * 2 ** attempt));
    }
    posting -= 1;
    if (!outcome) {
      draft.failed = true;
      setOnline(false);
      showError("Could not reach omnivox; the message was not sent.");
    } else if (outcome.status === 202 && outcome.payload) {
      setOnline(true);
      draft.serverId = outcome.payload.message_id;
      if (draft.serverId <= lastId && !messages.has(draft.serverId)) resetView(null);
      if (messages.has(draft.serverId)) render([draft.serverId]);
    } else {
      drafts.splice(drafts.indexOf(draft), 1);
      if (draft.node) draft.node.remove();
      if (draft.media && draft.media.url) URL.revokeObjectURL(draft.media.url);
      if (draft.text && !ui.input.value) {
        ui.input.value = draft.text;  // nothing typed is lost
        autosize();
        refreshSendButton();
      }
      showError(explain(outcome.status, outcome.payload));
    }
    render();
    schedulePoll(0);
  }

  function send({ text = "", file = null, field = null }) {
    clearError();
    const kind = field === "image" ? "photo" : field ? field : "text";
    let media = null;
    if (file) media = { url: URL.createObjectURL(file), kind };
    const draft = { clientId: `web-${randomId(12)}`, text, file, field, kind, media,
      failed: false, node: null, serverId: null };
    drafts.push(draft);
    deliverDraft(draft);
  }

  function submit() {
    const text = ui.input.value;
    if (staged) {
      const { file, field } = staged;
      const caption = field === "image" ? text.trim() : "";
      unstage(false);
      if (field === "image") { ui.input.value = ""; autosize(); }
      send({ text: caption, file, field });
    } else if (text.trim()) {
      ui.input.value = "";
      autosize();
      send({ text });
    } else {
      return;
    }
    refreshSendButton();
    ui.input.focus();
  }

  // ---- attachments -------------------------------------------------------

  function stage(file) {
    unstage(true);
    if (!file) return;
    const field = (file.type || "").startsWith("image/") ? "image" : isAudio(file) ? "audio" : "image";
    staged = { file, field, url: field === "image" ? URL.createObjectURL(file) : null };
    const what = field === "image" ? "photo" : "audio";
    ui.chipName.textContent = `${file.name || what} · ${formatSize(file.size)}`;
    ui.chipName.title = `${what} to send`;
    ui.chipThumb.hidden = !staged.url;
    if (staged.url) ui.chipThumb.src = staged.url;
    ui.chip.hidden = false;
    ui.input.placeholder = field === "image" ? "Add a caption (optional)" : "Message omnivox";
    clearError();
    refreshSendButton();
  }

  function unstage(revoke) {
    if (staged && staged.url && revoke) URL.revokeObjectURL(staged.url);
    staged = null;
    ui.chip.hidden = true;
    ui.chipThumb.removeAttribute("src");
    ui.attach.value = "";
    ui.input.placeholder = "Message omnivox";
    refreshSendButton();
  }

  // ---- voice notes -------------------------------------------------------

  const recorder = { media: null, stream: null, chunks: [], started: 0, timer: null, discard: false };

  function pickRecordingType() {
    const types = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm", "audio/ogg"];
    if (typeof MediaRecorder === "undefined") return null;
    return types.find((t) => MediaRecorder.isTypeSupported(t)) || "";
  }

  async function startRecording() {
    clearError();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
      showError("Recording is not available here (it needs a browser with a microphone, on https or localhost).");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (failure) {
      const denied = failure && (failure.name === "NotAllowedError" || failure.name === "SecurityError");
      showError(denied ? "Microphone access was denied; allow it in the browser to record a voice note."
        : "No microphone could be opened.");
      return;
    }
    const mimeType = pickRecordingType();
    const media = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    Object.assign(recorder, { media, stream, chunks: [], started: Date.now(), discard: false });
    media.addEventListener("dataavailable", (e) => { if (e.data && e.data.size) recorder.chunks.push(e.data); });
    media.addEventListener("stop", finishRecording);
    media.start(250);
    ui.mic.classList.add("recording");
    ui.mic.setAttribute("aria-pressed", "true");
    ui.mic.setAttribute("aria-label", "Stop recording and send");
    ui.recTime.hidden = false;
    ui.recTime.textContent = "0:00";
    recorder.timer = setInterval(() => {
      const seconds = (Date.now() - recorder.started) / 1000;
      ui.recTime.textContent = formatDuration(seconds);
      if (seconds >= MAX_RECORDING_S) stopRecording(false);
    }, 250);
  }

  function stopRecording(discard) {
    if (!recorder.media || recorder.media.state === "inactive") return;
    recorder.discard = discard;
    recorder.media.stop();
  }

  function finishRecording() {
    clearInterval(recorder.timer);
    recorder.stream.getTracks().forEach((t) => t.stop());
    ui.mic.classList.remove("recording");
    ui.mic.setAttribute("aria-pressed", "false");
    ui.mic.setAttribute("aria-label", "Record a voice note");
    ui.recTime.hidden = true;
    const type = (recorder.media.mimeType || "audio/webm").split(";")[0];
    const blob = new Blob(recorder.chunks, { type });
    const seconds = (Date.now() - recorder.started) / 1000;
    recorder.media = null;
    if (recorder.discard) return;
    if (!blob.size || seconds < 0.5) {
      showError("That recording was too short to send.");
      return;
    }
    const ext = type.includes("ogg") ? "ogg" : "webm";
    send({ file: new File([blob], `voice-note.${ext}`, { type }), field: "voice" });
  }

  // ---- input behaviour ---------------------------------------------------

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
  }

  function refreshSendButton() {
    ui.send.disabled = !staged && !ui.input.value.trim();
  }

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
    if (recorder.media) stopRecording(false);
    else startRecording();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && recorder.media) stopRecording(true);
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
  ui.newChat.addEventListener("click", () => send({ text: "/new" }));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) schedulePoll(0); });

  autosize();
  refreshSendButton();
  poll();
  ui.input.focus();
})();
