"""Speak an answer while it is still being written.

A voice reply waits for the whole answer, then for the whole synthesis. On
two cores it is faster to hand each finished sentence to the synthesizer while
the language model writes the next one: the two engines then work on different
cores, and the reply is ready soon after the last sentence is written.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import numpy as np

from bot.ports.engines import AudioClip, Synthesizer

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
MIN_SENTENCE_CHARS = 24


async def sentences(
    pieces: AsyncIterator[str], *, max_words: int | None = None
) -> AsyncIterator[str]:
    """Regroup streamed text into sentences (short ones are joined to the next).

    With `max_words`, stops after that many words, ending the stream early.
    """
    buffer, words = "", 0
    async for piece in pieces:
        buffer += piece
        *done, buffer = _split(buffer)
        for sentence in done:
            if max_words is not None:
                sentence, words = _clip(sentence, words, max_words)
            if sentence:
                yield sentence
            if max_words is not None and words >= max_words:
                return
    tail = buffer.strip()
    if max_words is not None:
        tail, words = _clip(tail, words, max_words)
    if tail:
        yield tail


def _split(text: str) -> list[str]:
    """Complete sentences of useful length, then the unfinished rest (always last)."""
    parts = _SENTENCE_END.split(text)
    out: list[str] = []
    pending = ""
    for part in parts[:-1]:
        pending = f"{pending} {part}".strip() if pending else part.strip()
        if len(pending) >= MIN_SENTENCE_CHARS:
            out.append(pending)
            pending = ""
    rest = parts[-1]
    out.append(f"{pending} {rest}" if pending else rest)
    return out


def _clip(sentence: str, used: int, limit: int) -> tuple[str, int]:
    tokens = sentence.split()
    room = max(0, limit - used)
    return " ".join(tokens[:room]), used + min(room, len(tokens))


async def speak_streamed(
    pieces: AsyncIterator[str],
    synthesizer: Synthesizer,
    voice_id: str | None,
    speed: float = 1.0,
    *,
    max_words: int | None = None,
) -> tuple[str, AudioClip]:
    """The full answer text and its speech, synthesised sentence by sentence as it streams."""
    texts: list[str] = []
    jobs: list[asyncio.Task[AudioClip]] = []
    try:
        async for sentence in sentences(pieces, max_words=max_words):
            texts.append(sentence)
            jobs.append(asyncio.create_task(synthesizer.synthesize(sentence, voice_id, speed)))
        clips = list(await asyncio.gather(*jobs))
    except BaseException:
        for job in jobs:
            job.cancel()
        raise
    return " ".join(texts), join_clips(clips)


def join_clips(clips: list[AudioClip]) -> AudioClip:
    """Concatenate clips of one sample rate (an empty list gives an empty clip)."""
    if not clips:
        return AudioClip(samples=np.zeros(0, np.float32), sample_rate=16_000)
    rate = clips[0].sample_rate
    if any(c.sample_rate != rate for c in clips):
        raise ValueError("clips to join must share one sample rate")
    return AudioClip(samples=np.concatenate([c.samples for c in clips]), sample_rate=rate)
