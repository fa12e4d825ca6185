"""Real engines, loaded once per test session (each load costs up to a second or two)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTDATA = REPO_ROOT.parent / "shared" / "testdata"


def make_settings(**overrides: Any) -> Settings:
    """Settings from defaults only: no .env file, no OMNIVOX_* from the shell."""
    return Settings.model_validate(overrides) if overrides else Settings.model_validate({})


def run(coro: Any) -> Any:
    """Run a coroutine on a fresh loop (for session fixtures outside any test loop)."""
    return asyncio.run(coro)


def corpus_path(*parts: str) -> Path:
    path = TESTDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared testdata absent: {path}")
    return path


def corpus_transcripts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(corpus_path("audio", "transcripts.json").read_text())
    return data


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def piper(settings: Settings) -> Iterator[Any]:
    from bot.engines.piper import PiperSynthesizer

    engine = PiperSynthesizer(settings)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def transcriber(settings: Settings) -> Iterator[Any]:
    from bot.engines.faster_whisper import FasterWhisperTranscriber

    engine = FasterWhisperTranscriber(settings)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def llama(settings: Settings) -> Iterator[Any]:
    from bot.engines.llama_cpp import LlamaCppChat

    engine = LlamaCppChat(settings)
    run(engine.warm_up())
    yield engine


@pytest.fixture(scope="session")
def describer(settings: Settings) -> Iterator[Any]:
    from bot.engines.local_vision import LocalDescriber

    engine = LocalDescriber(settings)
    run(engine.warm_up())
    yield engine
