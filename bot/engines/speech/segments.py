"""One transcript from Whisper's per-segment signals, for both Whisper engines.

faster-whisper and openai-whisper report confidence per segment (average log
probability, probability of no speech); the core wants one figure per clip,
so the segments are folded together, each weighted by how long it lasts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from bot.ports.engines import Transcript


class Segment(Protocol):
    """The attributes both engines' segments carry (faster-whisper's names)."""

    start: float
    end: float
    avg_logprob: float
    no_speech_prob: float


def summarise_segments(
    text: str, segments: Sequence[Segment], language: str | None, duration: float
) -> Transcript:
    """Fold per-segment signals into one transcript, weighted by segment length."""
    if not segments:
        return Transcript(
            text="", language=language, duration=duration, confidence=0.0, no_speech_prob=1.0,
            avg_logprob=-10.0,
        )
    weights = [max(0.01, s.end - s.start) for s in segments]
    total = sum(weights)
    avg_logprob = sum(s.avg_logprob * w for s, w in zip(segments, weights, strict=True)) / total
    no_speech = sum(s.no_speech_prob * w for s, w in zip(segments, weights, strict=True)) / total
    confidence = math.exp(min(0.0, avg_logprob)) * (1.0 - no_speech)
    return Transcript(
        text=text,
        language=language,
        duration=duration,
        confidence=round(confidence, 3),
        no_speech_prob=round(no_speech, 3),
        avg_logprob=round(avg_logprob, 3),
    )
