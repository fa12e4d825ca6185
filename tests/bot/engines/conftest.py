"""Real engines, loaded once per test session (each load costs up to a second or two)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings
from tests.support.settings import make_settings


def run(coro: Any) -> Any:
    """Run a coroutine on a fresh loop (for session fixtures outside any test loop)."""
    return asyncio.run(coro)

@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def piper(settings: Settings) -> Iterator[Any]:
    from bot.engines.voice.piper import PiperSynthesizer

    engine = PiperSynthesizer(settings.voice)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def transcriber(settings: Settings) -> Iterator[Any]:
    from bot.engines.speech.faster_whisper import FasterWhisperTranscriber

    engine = FasterWhisperTranscriber(settings.speech)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def english(settings: Settings) -> Iterator[Any]:
    """Whisper tiny.en, the English-only fast choice."""
    from bot.engines.speech.faster_whisper import FasterWhisperTranscriber

    engine = FasterWhisperTranscriber(make_settings(asr_model="tiny.en").speech)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def llama(settings: Settings) -> Iterator[Any]:
    from bot.engines.chat.llama_cpp import LlamaCppChat

    engine = LlamaCppChat(settings.chat)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def describer(settings: Settings) -> Iterator[Any]:
    from bot.engines.vision.rapidocr_efficientnet import LocalDescriber

    engine = LocalDescriber(settings.vision)
    run(engine.warm_up())
    yield engine
