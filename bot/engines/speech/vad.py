"""Where the speech is: the Silero VAD model that ships inside faster-whisper.

Used to cut long recordings at pauses (Whisper hears 30 s at a time) and to skip
silence, which Whisper would otherwise fill with invented words. The model is 1.2 MB
and runs on one thread: ~20 ms for 10 s of audio here.
"""

from __future__ import annotations

import numpy as np

from bot.errors import EngineUnavailable

SAMPLE_RATE = 16_000


def speech_spans(samples: np.ndarray, *, min_silence_ms: int = 300) -> list[tuple[int, int]]:
    """(start, end) sample offsets of the speech in 16 kHz mono audio (blocking)."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:
        raise EngineUnavailable("faster-whisper (for its VAD) is not installed",
                                hint="pip install faster-whisper") from exc  # fmt: skip
    options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=150)
    found = get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)
    return [(int(span["start"]), int(span["end"])) for span in found]


WINDOW = 512  # samples the Silero model scores at a time (32 ms at 16 kHz)
_CONTEXT = 64  # samples of the window before that the model also sees


class SpeechMeter:
    """The chance of speech in each 32 ms window of a live 16 kHz stream, window after
    window, scored as `speech_spans` scores a recording (blocking; one per stream)."""

    def __init__(self) -> None:
        try:
            from faster_whisper.vad import get_vad_model
        except ImportError as exc:
            raise EngineUnavailable("faster-whisper (for its VAD) is not installed",
                                    hint="pip install faster-whisper") from exc  # fmt: skip
        self._session = get_vad_model().session
        self._context = np.zeros(_CONTEXT, np.float32)
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)

    def score(self, windows: np.ndarray) -> np.ndarray:
        """One probability per WINDOW samples of `windows` (a whole number of them)."""
        if not len(windows):
            return np.zeros(0, np.float32)
        batch = windows.astype(np.float32).reshape(-1, WINDOW)
        before = np.concatenate([self._context[None, :], batch[:-1, -_CONTEXT:]])
        self._context = batch[-1, -_CONTEXT:].copy()
        inputs = np.concatenate([before, batch], axis=1)
        out, self._h, self._c = self._session.run(
            None, {"input": inputs, "h": self._h, "c": self._c}
        )
        return np.asarray(out, np.float32).reshape(-1)
