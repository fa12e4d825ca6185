"""Test doubles of the four engines: fast, deterministic, never product defaults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import numpy as np

from bot.models import ChatTurn
from bot.ports.engines import (
    AudioClip,
    Engines,
    EngineStatus,
    ImageDescription,
    Transcript,
    Voice,
)


class FakeTranscriber:
    name = "fake-asr"
    languages: frozenset[str] | None = frozenset({"en"})

    def __init__(self, text: str = "what is the weather like today", language: str = "en") -> None:
        self.text = text
        self.language = language
        self.calls = 0
        self.languages_asked: list[str | None] = []

    async def warm_up(self) -> None:
        return None

    def status(self) -> EngineStatus:
        return EngineStatus(job="asr", engine=self.name, available=True, detail="test double")

    async def transcribe(self, audio: AudioClip, *, language: str | None = None) -> Transcript:
        self.calls += 1
        self.languages_asked.append(language)
        return Transcript(
            text=self.text, language=self.language, duration=audio.duration, confidence=0.95,
            no_speech_prob=0.01, avg_logprob=-0.2,
        )


class FakeDescriber:
    name = "fake-vision"
    can_caption = False

    def __init__(self, text: str = "", labels: tuple[tuple[str, float], ...] = (("cup", 0.8),)):
        self.text = text
        self.labels = labels

    async def warm_up(self) -> None:
        return None

    def status(self) -> EngineStatus:
        return EngineStatus(job="vision", engine=self.name, available=True, detail="test double")

    async def describe(self, image: bytes) -> ImageDescription:
        return ImageDescription(caption=None, labels=self.labels, text=self.text)


class FakeChat:
    """Answers "You said: <last user turn>", word by word, after `delay` seconds."""

    name = "fake-llm"

    def __init__(self, delay: float = 0.0, accepts_images: bool = False) -> None:
        self.delay = delay
        self.accepts_images = accepts_images
        self.seen: list[list[ChatTurn]] = []

    async def warm_up(self) -> None:
        return None

    def status(self) -> EngineStatus:
        return EngineStatus(job="chat", engine=self.name, available=True, detail="test double")

    async def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        self.seen.append(list(turns))
        if self.delay:
            await asyncio.sleep(self.delay)
        last = next((t.text for t in reversed(turns) if t.role == "user"), "")
        for word in f"You said: {last[-300:]}".split(" "):
            yield word + " "


class FakeSynthesizer:
    name = "fake-tts"

    def __init__(self) -> None:
        self.spoken: list[tuple[str, str | None]] = []

    async def warm_up(self) -> None:
        return None

    def status(self) -> EngineStatus:
        return EngineStatus(job="tts", engine=self.name, available=True, detail="test double")

    async def voices(self) -> list[Voice]:
        return [
            Voice(id="fake:alto", name="Alto", language="en", engine=self.name),
            Voice(id="fake:bass", name="Bass", language="de", engine=self.name),
        ]

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        self.spoken.append((text, voice_id))
        seconds = min(0.3 + 0.05 * len(text.split()), 5.0) / speed
        t = np.arange(int(22050 * seconds)) / 22050
        return AudioClip(samples=(0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
                         sample_rate=22050)


def fake_engines(*, chat_delay: float = 0.0, transcript: str | None = None) -> Engines:
    transcriber = FakeTranscriber() if transcript is None else FakeTranscriber(transcript)
    return Engines(
        transcriber=transcriber,
        describer=FakeDescriber(),
        chat=FakeChat(delay=chat_delay),
        synthesizer=FakeSynthesizer(),
    )
