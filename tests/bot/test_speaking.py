"""Speech that starts while the model is still writing, and its budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import numpy as np

from bot.errors import EngineError
from bot.ports.engines import AudioClip
from bot.speaking import speak_while_writing, split_sentences


async def words(text: str, delay: float = 0.0) -> AsyncIterator[str]:
    for word in text.split(" "):
        if delay:
            await asyncio.sleep(delay)
        yield word + " "


def test_sentences_in_several_languages() -> None:
    assert split_sentences("Dr. Smith is here. He came at 3 p.m. and", "en") == [
        "Dr. Smith is here. ", "He came at 3 p.m. and"]
    assert split_sentences("你好。今天天气很好。我们", "zh") == ["你好。", "今天天气很好。", "我们"]
    assert split_sentences("Bonjour. Ça va ? Très", "fr")[:2] == ["Bonjour. ", "Ça va ? "]


async def test_the_first_sentence_is_spoken_before_the_model_finishes() -> None:
    started: list[float] = []

    async def speak(sentence: str) -> AudioClip:
        started.append(time.perf_counter())
        return AudioClip(samples=np.zeros(8000, np.float32), sample_rate=16000)

    began = time.perf_counter()
    reply = await speak_while_writing(
        words("It is sunny today. Take a hat with you. And drink water.", delay=0.05),
        speak, language="en")  # fmt: skip
    finished = time.perf_counter()
    assert len(started) == 3
    assert started[0] - began < (finished - began) / 2  # well before the last word
    assert reply.voice is not None and reply.voice.data[:4] == b"OggS"
    assert abs(reply.voice.duration - 1.5) < 0.01
    assert reply.text == "It is sunny today. Take a hat with you. And drink water."


async def test_an_answer_past_the_budget_is_flagged_and_not_spoken_whole() -> None:
    spoken: list[str] = []

    async def speak(sentence: str) -> AudioClip:
        spoken.append(sentence)
        return AudioClip(samples=np.zeros(160, np.float32), sample_rate=16000)

    long = " ".join(f"This is sentence number {n} of a very long answer." for n in range(40))
    reply = await speak_while_writing(words(long), speak, language="en", budget_s=10)
    assert reply.over_budget and reply.voice is None
    assert len(spoken) < 10  # what was still queued at the budget is dropped


async def test_a_failing_voice_leaves_the_text() -> None:
    async def speak(sentence: str) -> AudioClip:
        raise EngineError("no voice")

    reply = await speak_while_writing(words("Hello there. Bye."), speak, language="en")
    assert reply.voice is None and reply.text == "Hello there. Bye."
