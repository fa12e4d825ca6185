"""Fixtures shared across the tree: a migrated SQLite store, the fake platform servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.models import IncomingMessage
from storage.database import upgrade
from storage.store import SqlStore
from tests.fakes.graph_server import FakeGraph
from tests.fakes.sink import RecordingSink
from tests.fakes.telegram_server import FakeBotApi
from tests.support.messages import make_message
from tests.support.postgres import Databases, databases, unavailable


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_store_url(tmp_path)


def sqlite_store_url(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder}/omnivox.db"
    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite store, for what only SQLite has (its files, WAL, PRAGMAs)."""
    return sqlite_store_url(tmp_path)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[Databases]:
    if (reason := unavailable()) is not None:
        pytest.skip(reason)
    yield from databases()


@pytest.fixture
def pg_url(pg_databases: Databases) -> str:
    """A migrated PostgreSQL database of its own, dropped at the end of the run."""
    return pg_databases.fresh()


def both_backends(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For a `db_url` fixture parametrized over ("sqlite", "postgresql")."""
    if request.param == "sqlite":
        return sqlite_store_url(tmp_path)
    return str(request.getfixturevalue("pg_url"))


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
