"""Sentence-by-sentence speech while the answer streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

from bot.engines.voice.sentences import join_clips, sentences, speak_streamed
from bot.ports.engines import AudioClip


async def stream(*pieces: str) -> AsyncIterator[str]:
    for piece in pieces:
        yield piece


async def collect(pieces: AsyncIterator[str], **kwargs: Any) -> list[str]:
    return [s async for s in sentences(pieces, **kwargs)]


async def test_sentences_are_regrouped() -> None:
    out = await collect(stream("Sure! Paris is the cap", "ital of France. It has ",
                               "about two million people. Enjoy"))
    assert out == ["Sure! Paris is the capital of France.", "It has about two million people.",
                   "Enjoy"]


async def test_word_limit_ends_the_stream() -> None:
    out = await collect(stream("One two three four five. Six seven eight nine ten. Eleven."),
                        max_words=7)
    assert out == ["One two three four five.", "Six seven"]


async def test_join_clips() -> None:
    a = AudioClip(samples=np.ones(10, np.float32), sample_rate=8000)
    assert join_clips([a, a]).samples.size == 20
    assert join_clips([]).duration == 0.0
    with pytest.raises(ValueError, match="sample rate"):
        join_clips([a, AudioClip(samples=np.ones(3, np.float32), sample_rate=16000)])


@pytest.mark.slow
async def test_speak_streamed_with_piper(piper: Any) -> None:
    text, clip = await speak_streamed(
        stream("Hello there, nice to meet you. ", "The weather is lovely today."), piper, None
    )
    assert text == "Hello there, nice to meet you. The weather is lovely today."
    assert clip.sample_rate == 22_050 and 2.0 < clip.duration < 6.0
