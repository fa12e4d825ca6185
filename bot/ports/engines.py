"""The four engine contracts the core uses, and the values they exchange.

Every method is async: implementations that run local models do the work in a
worker thread behind their own bound (see `bot.engines.runtime`), remote ones
await the network. Nothing here blocks the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from bot.models import ChatTurn

ASR_SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioClip:
    """Mono float32 samples in [-1, 1] at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return float(len(self.samples)) / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript:
    text: str
    language: str | None
    duration: float
    confidence: float  # 0..1, from the model's own signals
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    language_probability: float = 1.0  # how sure the model is of `language` (1: it was given)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageDescription:
    """What a describer truthfully found. `caption` is None when it cannot caption."""

    caption: str | None
    labels: tuple[tuple[str, float], ...] = ()
    text: str = ""
    width: int = 0
    height: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Voice:
    id: str
    name: str
    language: str
    engine: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineStatus:
    """One line of `omnivox doctor`."""

    job: str
    engine: str
    available: bool
    detail: str
    hint: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Engine(Protocol):
    name: str

    async def warm_up(self) -> None:
        """Load the model once; concurrent callers wait for the same load."""

    def status(self) -> EngineStatus:
        """Whether the engine can run here, and what to install or set if not."""


@runtime_checkable
class Transcriber(Engine, Protocol):
    languages: frozenset[str] | None  # None: multilingual

    async def transcribe(self, audio: AudioClip, *, language: str | None = None) -> Transcript:
        """Text of a clip of at most ~30 s; `language` skips detection (None: detect)."""
        ...


@runtime_checkable
class ImageDescriber(Engine, Protocol):
    can_caption: bool

    async def describe(self, image: bytes) -> ImageDescription: ...


@runtime_checkable
class ChatModel(Engine, Protocol):
    accepts_images: bool

    def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        """Yield pieces of the answer as they are generated."""
        ...


@runtime_checkable
class Synthesizer(Engine, Protocol):
    async def voices(self) -> list[Voice]: ...

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        ...


@dataclass(slots=True)
class Engines:
    """The set of engines the pipeline uses, built by the registry from settings."""

    transcriber: Transcriber
    describer: ImageDescriber
    chat: ChatModel
    synthesizer: Synthesizer

    def all(self) -> list[Engine]:
        return [self.transcriber, self.describer, self.chat, self.synthesizer]
