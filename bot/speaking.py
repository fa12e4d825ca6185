"""A voice reply that starts speaking while the model is still writing.

Each finished sentence (pysbd, rule-based, in the reply's language) goes to the
synthesizer as soon as it is written (a long first sentence goes clause by clause, so
the voice starts early even when the whole answer is one sentence); the synthesizer
works in its own worker thread, so on two cores it speaks sentence N while the language
model writes sentence N+1.
Each clip is encoded into the one OGG/Opus voice note as it arrives, so when the model
stops only the last sentence is left to speak and encode.

Speech past the budget (about 30 s) is not synthesised: the caller gets `over_budget`
and says a short summary instead, with the whole answer as the text beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.audio import VoiceNoteWriter
from bot.errors import EngineError
from bot.languages import primary_language
from bot.models import VoiceAudio
from bot.ports.engines import AudioClip
from bot.speakable import SpokenText

log = logging.getLogger(__name__)

SPEECH_BUDGET_S = 30.0
WORDS_PER_SECOND = 2.6  # Piper at normal speed; CJK counts characters / 4
# pysbd knows these; other languages are cut with the English rules (., !, ?).
_PYSBD = frozenset({"am", "ar", "bg", "da", "de", "el", "en", "es", "fa", "fr", "hi", "hy",
                    "it", "ja", "kk", "mr", "my", "nl", "pl", "ru", "sk", "ur", "zh"})
_MAY_END = re.compile(r"[.!?。！？…;:](?:[\"')\]]*)(?:\s|$)|[。！？]")

Speak = Callable[[str], Awaitable[AudioClip]]


@dataclass(frozen=True, slots=True)
class SpokenReply:
    text: str  # the answer as written (markup kept: channels render it)
    voice: VoiceAudio | None  # None when no voice could be made
    over_budget: bool  # the answer is too long to say whole: speak a summary instead


@functools.lru_cache(maxsize=32)
def _segmenter(language: str) -> object:
    import pysbd

    return pysbd.Segmenter(language=language if language in _PYSBD else "en", clean=False)


def split_sentences(text: str, language: str | None) -> list[str]:
    """Sentences of `text`; the last may be unfinished."""
    if not _MAY_END.search(text):
        return [text]
    segmenter = _segmenter(primary_language(language) or "en")
    parts = [p for p in segmenter.segment(text) if p.strip()]  # type: ignore[attr-defined]
    return parts or [text]


_CLAUSE_END = re.compile(r"[,;:，、；：]\s")
MIN_CLAUSE_WORDS = 7


def first_clause(text: str) -> tuple[str, str]:
    """A long first sentence's opening clause (up to a comma), so speech can start before
    the sentence ends; ("", text) when there is none long enough yet."""
    for match in _CLAUSE_END.finditer(text):
        head = text[: match.end()].strip()
        if estimated_seconds(head) * WORDS_PER_SECOND >= MIN_CLAUSE_WORDS:
            return head, text[match.end() :]
    return "", text


def estimated_seconds(text: str) -> float:
    wide = sum(1 for ch in text if "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")
    return (len(text.split()) + wide / 4) / WORDS_PER_SECOND


class _Voice:
    """Synthesises queued sentences one after the other and encodes each as it comes."""

    def __init__(self, speak: Speak, budget_s: float) -> None:
        self._speak = speak
        self._budget = budget_s
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = VoiceNoteWriter()
        self.failed: EngineError | None = None
        self.said_s = 0.0
        self.over_budget = False
        self._task = asyncio.create_task(self._work(), name="omnivox-speak")

    @property
    def started(self) -> bool:
        return self.said_s > 0

    def say(self, sentence: str) -> None:
        if self.failed is None and not self.over_budget:
            self.said_s += estimated_seconds(sentence)
            if self.said_s > self._budget:
                self.over_budget = True
                return
            self._queue.put_nowait(sentence)

    async def _work(self) -> None:
        while (sentence := await self._queue.get()) is not None:
            if self.failed is not None or self.over_budget:
                continue
            try:
                clip = await self._speak(sentence)
                await asyncio.to_thread(self._writer.add, clip)
            except EngineError as failure:
                log.warning("voice reply fell back to text: %s", failure)
                self.failed = failure

    async def finish(self) -> VoiceAudio | None:
        self._queue.put_nowait(None)
        await self._task
        if self.failed is not None or self.over_budget:
            return None
        return await asyncio.to_thread(self._writer.finish)

    async def cancel(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def sentences_as_written(
    pieces: AsyncIterator[str],
    *,
    language: str | None,
    written: list[str],
    on_text: Callable[[str], Awaitable[None]] | None = None,
) -> AsyncIterator[str]:
    """Each sentence of the model's stream, in speakable words, as soon as it is complete
    (a long first one clause by clause); what was written is appended to `written`."""
    spoken = SpokenText()
    pending = ""
    started = False
    async for piece in pieces:
        written.append(piece)
        if on_text is not None:
            await on_text("".join(written))
        pending = _join(pending, spoken.feed(piece))
        *done, pending = split_sentences(pending, language) if pending else [""]
        for sentence in done:
            if sentence.strip():
                started = True
                yield sentence.strip()
        if not started and not done:
            clause, pending = first_clause(pending)
            if clause:
                started = True
                yield clause
    tail = _join(pending, spoken.close()).strip()
    if tail:
        yield tail


async def speak_while_writing(
    pieces: AsyncIterator[str],
    speak: Speak,
    *,
    language: str | None,
    budget_s: float = SPEECH_BUDGET_S,
    on_text: Callable[[str], Awaitable[None]] | None = None,
) -> SpokenReply:
    """Consume the model's stream; speak each sentence as soon as it is complete."""
    voice = _Voice(speak, budget_s)
    written: list[str] = []
    try:
        async for sentence in sentences_as_written(pieces, language=language, written=written,
                                                   on_text=on_text):  # fmt: skip
            voice.say(sentence)
        audio = await voice.finish()
    except BaseException:
        await voice.cancel()
        raise
    return SpokenReply(text="".join(written).strip(), voice=audio, over_budget=voice.over_budget)


def _join(before: str, more: str) -> str:
    if not more:
        return before
    if not before or before.endswith((" ", "\n")) or more.startswith((" ", "\n")):
        return before + more
    return f"{before} {more}"


async def speak_text(text: str, speak: Speak, *, language: str | None) -> VoiceAudio | None:
    """A finished text (a summary, a preview) spoken sentence by sentence."""

    async def one_piece() -> AsyncIterator[str]:
        yield text

    reply = await speak_while_writing(one_piece(), speak, language=language,
                                      budget_s=float("inf"))  # fmt: skip
    return reply.voice
