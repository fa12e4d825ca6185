"""Hearing a voice note in the user's language, and a long recording piece by piece.

The language is pinned on the user once heard: later notes are transcribed in it, which
skips Whisper's detection pass (~0.4 s a note); the pieces of a long recording are each
heard with detection, since one recording may hold several speakers and languages. A
pinned language that was detected (not chosen with /language) is checked again whenever
the model is unsure of what it heard:
then the note is heard once more with detection, and a clearly different language wins
(the user switched). Audio over 30 s is cut at pauses found by the Silero VAD, each piece
transcribed in turn (silence is skipped), with progress reported as it goes.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from bot.engines.speech.guard import is_unintelligible
from bot.engines.speech.vad import speech_spans
from bot.languages import primary_language
from bot.ports.engines import ASR_SAMPLE_RATE, AudioClip, Transcriber, Transcript

LONG_AUDIO_S = 30.0
MAX_PIECE_S = 28.0
MIN_PIECE_S = 12.0
MIN_GAP_S = 0.3
UNSURE_CONFIDENCE = 0.45
SURE_LANGUAGE = 0.6

Progress = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Heard:
    """What was heard: the transcript, its language, and where the language changed."""

    transcript: Transcript
    switches: tuple[tuple[float, str], ...] = ()  # (seconds in, language) after the first
    pieces: int = 1
    unintelligible: bool = False


async def hear_piece(
    transcriber: Transcriber, clip: AudioClip, current: str | None, *, firm: bool
) -> Transcript:
    """One piece of a long recording. Each piece is heard with detection (a recording may
    hold several speakers and languages; a piece in another language than the one asked
    for comes out translated, confidently), unless the user chose the language; a
    language heard without certainty gives way to the recording's language so far."""
    if firm or current is None or transcriber.languages is not None:
        return await transcriber.transcribe(clip, language=current if firm else None)
    heard = await transcriber.transcribe(clip, language=None)
    other = primary_language(heard.language) != primary_language(current)
    if other and heard.language_probability < SURE_LANGUAGE:
        return await transcriber.transcribe(clip, language=current)
    return heard


def _unsure(heard: Transcript) -> bool:
    return heard.confidence < UNSURE_CONFIDENCE


async def hear_clip(
    transcriber: Transcriber, clip: AudioClip, pinned: str | None, *, firm: bool
) -> Transcript:
    """One clip of at most ~30 s, in the pinned language when there is one."""
    heard = await transcriber.transcribe(clip, language=pinned)
    if pinned is None or firm or transcriber.languages is not None or not _unsure(heard):
        return heard
    again = await transcriber.transcribe(clip, language=None)
    switched = primary_language(again.language) != primary_language(pinned)
    sure = again.language_probability >= SURE_LANGUAGE
    if switched and sure and again.confidence > heard.confidence:
        return again
    return heard


@dataclass
class _Pieces:
    """Cuts a stream of samples into pieces of speech ending at pauses."""

    buffer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    offset: int = 0  # samples before the buffer

    def add(self, block: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        self.buffer = np.concatenate([self.buffer, block])
        while len(self.buffer) >= MAX_PIECE_S * ASR_SAMPLE_RATE:
            yield from self._cut(int(MAX_PIECE_S * ASR_SAMPLE_RATE))

    def rest(self) -> Iterator[tuple[int, np.ndarray]]:
        if len(self.buffer):
            yield from self._cut(len(self.buffer), final=True)

    def _cut(self, limit: int, *, final: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        window = self.buffer[:limit]
        spans = speech_spans(window)
        cut = limit if final else _pause(spans, limit)
        if spans:
            start = spans[0][0]
            end = min(cut, max(e for _, e in spans))
            if end > start:
                yield self.offset + start, window[start:end]
        self.buffer = self.buffer[cut:]
        self.offset += cut


def _pause(spans: list[tuple[int, int]], limit: int) -> int:
    """Where to cut: the middle of the longest pause after MIN_PIECE_S, else the limit."""
    earliest = int(MIN_PIECE_S * ASR_SAMPLE_RATE)
    gaps = [(b[0] - a[1], (a[1] + b[0]) // 2) for a, b in itertools.pairwise(spans)]
    if spans and spans[-1][1] < limit:
        gaps.append((limit - spans[-1][1], (spans[-1][1] + limit) // 2))
    gaps = [g for g in gaps if g[1] >= earliest and g[0] >= MIN_GAP_S * ASR_SAMPLE_RATE]
    if not spans:
        return limit
    return max(gaps)[1] if gaps else limit


async def hear_long(
    transcriber: Transcriber,
    blocks: Iterator[np.ndarray],
    total_s: float,
    pinned: str | None,
    *,
    firm: bool,
    progress: Progress,
) -> Heard:
    """A long recording, piece by piece, decoding as it goes (never all in memory)."""
    pieces = _Pieces()
    texts: list[str] = []
    heard_pieces: list[Transcript] = []
    switches: list[tuple[float, str]] = []
    language = pinned
    sentinel = np.zeros(0, np.float32)
    while True:
        block = await asyncio.to_thread(next, blocks, sentinel)
        found = await asyncio.to_thread(_collect, pieces, block, block is sentinel)
        for start, samples in found:
            clip = AudioClip(samples=samples, sample_rate=ASR_SAMPLE_RATE)
            piece = await hear_piece(transcriber, clip, language, firm=firm and pinned is not None)
            if is_unintelligible(clip, piece):
                continue
            said = primary_language(piece.language)
            if language is not None and said and said != primary_language(language):
                switches.append((start / ASR_SAMPLE_RATE, said))
            language = piece.language or language
            texts.append(piece.text.strip())
            heard_pieces.append(piece)
        await progress(min(1.0, pieces.offset / ASR_SAMPLE_RATE / max(total_s, 1.0)))
        if block is sentinel:
            break
    return Heard(transcript=_merged(texts, heard_pieces, total_s, pinned),
                 switches=tuple(switches), pieces=len(heard_pieces),
                 unintelligible=not heard_pieces)  # fmt: skip


def _collect(pieces: _Pieces, block: np.ndarray, last: bool) -> list[tuple[int, np.ndarray]]:
    found = list(pieces.add(block)) if len(block) else []
    if last:
        found += list(pieces.rest())
    return found


def _merged(texts: list[str], pieces: list[Transcript], total_s: float,
            pinned: str | None) -> Transcript:  # fmt: skip
    if not pieces:
        return Transcript(text="", language=pinned, duration=total_s, confidence=0.0,
                          no_speech_prob=1.0, avg_logprob=-10.0)  # fmt: skip
    weights = [max(0.1, p.duration) for p in pieces]
    share = sum(weights)
    first = pieces[0]
    return replace(
        first,
        text=" ".join(t for t in texts if t),
        duration=total_s,
        confidence=round(sum(p.confidence * w for p, w in zip(pieces, weights, strict=True))
                         / share, 3),
        no_speech_prob=round(min(p.no_speech_prob for p in pieces), 3),
        avg_logprob=round(max(p.avg_logprob for p in pieces), 3),
        language=_most_heard(pieces, weights) or pinned,
    )  # fmt: skip


def _most_heard(pieces: list[Transcript], weights: list[float]) -> str | None:
    totals: dict[str, float] = {}
    for piece, weight in zip(pieces, weights, strict=True):
        if piece.language:
            totals[piece.language] = totals.get(piece.language, 0.0) + weight
    return max(totals, key=lambda k: totals[k]) if totals else None


def minutes(seconds: float) -> str:
    """`0:45`, `12:03`, `1:02:09`."""
    whole = math.floor(seconds)
    hours, rest = divmod(whole, 3600)
    mins, secs = divmod(rest, 60)
    return f"{hours}:{mins:02d}:{secs:02d}" if hours else f"{mins}:{secs:02d}"
