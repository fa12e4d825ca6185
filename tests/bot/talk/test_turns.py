"""Turn detection on recorded speech with the real Silero VAD."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engines.speech.vad import SpeechMeter
from bot.talk.turns import TurnDetector, TurnEvent
from tests.bot.talk.conftest import IN_FRAME
from tests.support.talk_peer import silence, speech

pytestmark = pytest.mark.corpus


def events(audio: np.ndarray, **settings: float) -> list[tuple[float, TurnEvent]]:
    detector = TurnDetector(SpeechMeter(), end_of_turn_ms=int(settings.get("end_ms", 600)),
                            max_turn_s=settings.get("max_s", 28.0))  # fmt: skip
    found = []
    for start in range(0, len(audio), IN_FRAME):
        for event in detector.feed(audio[start : start + IN_FRAME]):
            found.append(((start + IN_FRAME) / 16_000, event))
    return found


def test_one_sentence_is_one_turn_ending_after_the_silence() -> None:
    said = speech("de_picovoice_leopard.wav")  # speech from 0.65 s to 4.8 s
    found = events(np.concatenate([silence(1.0), said, silence(2.0)]))
    assert [e.kind for _, e in found] == ["started", "paused", "ended"]
    (started_at, _), (paused_at, paused), (ended_at, ended) = found
    assert 1.6 < started_at < 2.0  # a few windows after the speech starts
    assert ended.audio is not None and not ended.cut
    assert 3.8 < len(ended.audio) / 16_000 < 5.0  # the whole sentence, not the silence after
    assert 6.0 < ended_at < 6.6  # ~0.6 s after the speech stops
    # a quarter second into the silence, the audio the turn then ends with, to hear early
    assert ended_at - 0.45 < paused_at < ended_at - 0.25
    assert paused.audio is not None and np.array_equal(paused.audio, ended.audio)


def test_a_longer_end_of_turn_keeps_pauses_inside_the_turn() -> None:
    said = speech("whisper_jfk.flac")  # four phrases with pauses up to ~0.8 s
    audio = np.concatenate([silence(0.5), said, silence(2.0)])
    assert len([e for _, e in events(audio, end_ms=600) if e.kind == "ended"]) == 4
    kinds = [e.kind for _, e in events(audio, end_ms=1200)]
    assert [k for k in kinds if k in ("started", "ended")] == ["started", "ended"]
    assert kinds.count("paused") == kinds.count("resumed") + 1  # the pauses it went on after


def test_silence_and_quiet_noise_are_no_turn() -> None:
    noise = np.random.default_rng(7).normal(0, 0.002, 16_000 * 3).astype(np.float32)
    assert events(np.concatenate([silence(2.0), noise])) == []


def test_a_long_turn_is_handed_on_in_pieces() -> None:
    said = speech("fr_picovoice_leopard.wav")  # 4.8 s of unbroken speech
    found = [e for _, e in events(np.concatenate([said, silence(1.5)]), max_s=2.0)]
    ended = [e for e in found if e.kind == "ended"]
    assert [e.kind for e in found].count("started") == 1
    assert [e.cut for e in ended][:2] == [True, True] and ended[-1].cut is False
    assert all(e.audio is not None for e in ended)
