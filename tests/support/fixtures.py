"""Fixtures shared across the tree: a migrated SQLite store, the fake platform servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.models import IncomingMessage
from storage.database import upgrade
from storage.store import SqlStore
from tests.fakes.graph_server import FakeGraph
from tests.fakes.sink import RecordingSink
from tests.fakes.telegram_server import FakeBotApi
from tests.support.messages import make_message


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/omnivox.db"
    upgrade(url)
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore.from_url(db_url)
    yield store
    await store.close()


@pytest.fixture
def message() -> Callable[..., IncomingMessage]:
    return make_message


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = await FakeBotApi().start()
    yield server
    await server.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], server.violations
