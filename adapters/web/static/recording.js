// Voice notes from the microphone with MediaRecorder; a finished note is sent like any message.
import { ui } from "./dom.js";
import { formatDuration } from "./format.js";
import { clearError, showError } from "./render.js";
import { send } from "./sending.js";

const MAX_RECORDING_S = 300;
const recorder = { media: null, stream: null, chunks: [], started: 0, timer: null, discard: false };

function pickRecordingType() {
  const types = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm", "audio/ogg"];
  if (typeof MediaRecorder === "undefined") return null;
  return types.find((t) => MediaRecorder.isTypeSupported(t)) || "";
}

export function isRecording() {
  return Boolean(recorder.media);
}

export async function startRecording() {
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

export function stopRecording(discard) {
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
