// Talk: a live voice conversation over WebRTC. The microphone goes to the server with the
// browser's own echo cancellation and noise suppression on; the answer comes back as audio, and
// the `events` data channel brings the state and the live transcript. After hanging up, the turns
// are in the chat history like any other message.
import { el, ui } from "./dom.js";
import { chatId } from "./identity.js";
import { clearError, showError } from "./render.js";
import { schedulePoll } from "./sync.js";

const STATES = { listening: "Listening…", thinking: "Thinking…", speaking: "Speaking…" };
const call = { pc: null, stream: null, talkId: null, muted: false, live: null };

export function inTalk() {
  return Boolean(call.pc);
}

function gathered(pc) {
  // The offer goes whole (no trickle ICE): wait until its candidates are in it.
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000);
  });
}

function line(role, text, final) {
  let item = role === "assistant" ? call.live : null;
  if (!item) {
    item = el("li", { class: role });
    ui.talkLines.append(item);
  }
  item.textContent = text;
  call.live = role === "assistant" && !final ? item : null;
  ui.talkLines.scrollTop = ui.talkLines.scrollHeight;
}

function onEvent(event) {
  if (event.type === "state" && STATES[event.state]) {
    ui.talkState.textContent = STATES[event.state];
    ui.talkPanel.dataset.state = event.state;
  } else if (event.type === "transcript" && typeof event.text === "string") {
    line(event.role === "user" ? "user" : "assistant", event.text, event.final);
  }
}

function showPanel(open) {
  ui.talkPanel.hidden = !open;
  ui.talk.classList.toggle("live", open);
  ui.talk.setAttribute("aria-pressed", String(open));
  ui.talk.setAttribute("aria-label", open ? "Hang up" : "Talk: a live voice conversation");
}

export async function startTalk() {
  clearError();
  if (!window.RTCPeerConnection || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showError("Talking needs a browser with WebRTC and a microphone (on https or localhost).");
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (failure) {
    const denied = failure && (failure.name === "NotAllowedError" || failure.name === "SecurityError");
    showError(denied ? "Microphone access was denied; allow it in the browser to talk."
      : "No microphone could be opened.");
    return;
  }
  const pc = new RTCPeerConnection({ iceServers: [] });
  Object.assign(call, { pc, stream, talkId: null, muted: false, live: null });
  ui.talkLines.replaceChildren();
  ui.talkState.textContent = "Connecting…";
  ui.talkMute.setAttribute("aria-pressed", "false");
  ui.talkMute.textContent = "Mute";
  showPanel(true);
  for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
  const events = pc.createDataChannel("events");
  events.addEventListener("message", (e) => {
    try { onEvent(JSON.parse(e.data)); } catch (_) { /* not JSON: ignored */ }
  });
  pc.addEventListener("track", (e) => {
    ui.talkAudio.srcObject = e.streams[0] || new MediaStream([e.track]);
    ui.talkAudio.play().catch(() => {});
  });
  pc.addEventListener("connectionstatechange", () => {
    if (call.pc === pc && ["failed", "closed"].includes(pc.connectionState)) {
      showError("The call was cut off.");
      hangUp();
    }
  });
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const id = await chatId();
    const response = await fetch(`/api/chats/${encodeURIComponent(id)}/talk`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `the server answered HTTP ${response.status}`);
    if (call.pc !== pc) return;  // hung up meanwhile
    call.talkId = body.talk_id;
    await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
  } catch (failure) {
    if (call.pc === pc) {
      showError(`Could not start talking: ${failure.message || failure}`);
      hangUp();
    }
  }
}

export function toggleMute() {
  if (!call.stream) return;
  call.muted = !call.muted;
  for (const track of call.stream.getAudioTracks()) track.enabled = !call.muted;
  ui.talkMute.setAttribute("aria-pressed", String(call.muted));
  ui.talkMute.textContent = call.muted ? "Unmute" : "Mute";
}

export function hangUp() {
  const { pc, stream, talkId } = call;
  Object.assign(call, { pc: null, stream: null, talkId: null, live: null });
  if (talkId) fetch(`/api/talk/${encodeURIComponent(talkId)}`, { method: "DELETE" }).catch(() => {});
  if (stream) for (const track of stream.getTracks()) track.stop();
  if (pc) pc.close();
  ui.talkAudio.srcObject = null;
  showPanel(false);
  schedulePoll(0);  // the turns are in the history now
}

// Inbound audio as the browser measures it; `null` outside a call.
export async function talkStats() {
  if (!call.pc) return null;
  const found = { packetsReceived: 0, totalAudioEnergy: 0, bytesReceived: 0 };
  (await call.pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio") {
      found.packetsReceived += report.packetsReceived || 0;
      found.bytesReceived += report.bytesReceived || 0;
      found.totalAudioEnergy += report.totalAudioEnergy || 0;
    }
  });
  return found;
}
