"""Playback: what was heard of an answer, and whether it was cut short."""

from __future__ import annotations

import numpy as np

from bot.talk.playback import FRAME, Playback


def sentence(frames: int = 3) -> np.ndarray:
    return np.full(FRAME * frames, 1000, np.int16)


def play(playback: Playback, frames: int) -> None:
    for _ in range(frames):
        playback.frame()


async def test_stopped_mid_sentence_is_cut() -> None:
    playback = Playback()
    playback.add("One.", sentence())
    play(playback, 2)
    playback.stop()
    assert playback.heard == ["One."] and playback.cut
    assert not playback.frame().any()


async def test_stopped_between_sentences_while_the_model_writes_is_cut() -> None:
    playback = Playback()
    playback.add("One.", sentence())
    play(playback, 4)  # the first sentence is over; the next is not written yet
    playback.stop(more_to_come=True)
    assert playback.heard == ["One."] and playback.cut


async def test_stopped_with_sentences_waiting_is_cut() -> None:
    playback = Playback()
    playback.add("One.", sentence())
    playback.add("Two.", sentence())
    play(playback, 3)  # exactly the end of the first
    playback.stop()
    assert playback.heard == ["One."] and playback.cut


async def test_a_whole_answer_heard_is_not_cut() -> None:
    playback = Playback()
    playback.add("One.", sentence())
    play(playback, 4)
    playback.stop()
    assert playback.heard == ["One."] and not playback.cut
