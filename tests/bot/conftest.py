"""A dispatcher on fake engines and a recording channel, over a real migrated SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.ports.engines import Engines
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import fake_engines
from tests.support.settings import make_dispatcher, make_settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url=db_url, data_dir=str(tmp_path), warm_engines=False)


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
    dispatcher = make_dispatcher(store, engines, settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    yield dispatcher
    await dispatcher.stop()
