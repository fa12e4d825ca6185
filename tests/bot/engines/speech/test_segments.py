"""Whisper's per-segment signals folded into one transcript."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from bot.engines.speech.segments import summarise_segments


@dataclass
class Seg:
    start: float
    end: float
    avg_logprob: float
    no_speech_prob: float


def test_no_segments_is_no_speech() -> None:
    found = summarise_segments("", [], "en", 2.0)
    assert (found.text, found.language, found.duration) == ("", "en", 2.0)
    assert found.confidence == 0.0 and found.no_speech_prob == 1.0


def test_longer_segments_weigh_more() -> None:
    segments = [Seg(0.0, 3.0, -0.2, 0.1), Seg(3.0, 4.0, -1.0, 0.5)]
    found = summarise_segments("hello there", segments, "en", 4.0)
    assert found.avg_logprob == pytest.approx((-0.2 * 3 - 1.0) / 4, abs=1e-3)
    assert found.no_speech_prob == pytest.approx((0.1 * 3 + 0.5) / 4, abs=1e-3)
    expected = math.exp(found.avg_logprob) * (1 - found.no_speech_prob)
    assert found.confidence == pytest.approx(expected, abs=2e-3)
    assert found.text == "hello there" and found.duration == 4.0


def test_a_positive_logprob_does_not_push_confidence_past_one() -> None:
    found = summarise_segments("hi", [Seg(0.0, 0.0, 0.4, 0.0)], None, 0.5)
    assert found.confidence == 1.0
