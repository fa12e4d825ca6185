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
