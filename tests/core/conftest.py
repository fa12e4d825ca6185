"""A store on a real SQLite file with migrations applied, and a dispatcher on fake engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.engines.base import AudioClip, Engines
from bot.media import encode_voice_note
from bot.models import ContentKind, IncomingMessage, MediaRef, Platform
from storage.database import upgrade
from storage.sql_store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import fake_engines


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/omnivox.db"
    upgrade(url)
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=str(tmp_path), warm_engines=False)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore.from_url(db_url)
    yield store
    await store.close()


@pytest.fixture
def engines() -> Engines:
    return fake_engines()


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
async def dispatcher(
    store: SqlStore, engines: Engines, settings: Settings, channel: RecordingChannel
) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(store, engines, settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    yield dispatcher
    await dispatcher.stop()


_ids = iter(range(1, 1_000_000))


def make_message(
    text: str | None = "hello",
    *,
    kind: ContentKind = ContentKind.TEXT,
    chat_id: str = "chat-1",
    user_id: str | None = None,
    message_id: str | None = None,
    media: MediaRef | None = None,
    platform: Platform = Platform.CLI,
    **extra: Any,
) -> IncomingMessage:
    return IncomingMessage(
        platform=platform,
        message_id=message_id or f"m{next(_ids)}",
        chat_id=chat_id,
        user_id=user_id or chat_id,
        kind=kind,
        text=text,
        media=media,
        **extra,
    )


@pytest.fixture
def message() -> Callable[..., IncomingMessage]:
    return make_message


def tone_ogg(seconds: float = 1.0, freq: float = 440.0) -> bytes:
    """A real OGG/Opus voice note holding a tone (not silence, so the guard lets it through)."""
    t = np.arange(int(16000 * seconds)) / 16000
    samples = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return encode_voice_note(AudioClip(samples=samples, sample_rate=16000)).data
