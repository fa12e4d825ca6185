"""Engine creation, migrations, and the one way repositories open a transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.writer_queue import WriterQueue

ALEMBIC_DIR = Path(__file__).resolve().parents[1] / "alembic"
SCRUB_ATTEMPTS = 5
SCRUB_PAUSE = 0.05  # seconds, growing with each attempt, for readers to finish

log = logging.getLogger(__name__)


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file so a fresh clone starts without set-up."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # deleted rows are overwritten with zeros, in tables and indexes alike
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """SQLite gets WAL and foreign keys; other databases a pool that checks connections."""
    ensure_sqlite_dir(url)
    sqlite = make_url(url).get_backend_name() == "sqlite"
    engine = create_async_engine(url, pool_pre_ping=not sqlite)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations (blocking: call it in a thread from async code)."""
    from alembic.config import Config

    from alembic import command

    ensure_sqlite_dir(url)
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["omnivox_url"] = url
    command.upgrade(config, revision)


class Database:
    """One engine shared by the repositories: short read and write transactions.

    SQLite takes one writer at a time; queueing writers here is far cheaper than letting
    them spin in SQLite's busy handler, and `urgent` writes (the inbox) go first so
    platform acknowledgements stay quick. Other databases need no such queue.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writers = WriterQueue() if engine.dialect.name == "sqlite" else None

    @contextlib.asynccontextmanager
    async def write(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        if self._writers is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._writers.turn(urgent=urgent), self.engine.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def scrub(self) -> bool:
        """Leave no copy of deleted rows in the database files: on SQLite, copy the WAL
        into the database (whose freed space `secure_delete` zeroed) and truncate it to
        nothing. Other databases delete rows in place; their own VACUUM reclaims the
        space. False when SQLite could not finish because readers held old pages."""
        if self._writers is None:
            return True
        for attempt in range(SCRUB_ATTEMPTS):
            async with self._writers.turn(urgent=True), self.engine.connect() as conn:
                row = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
                await conn.rollback()
            if row is not None and row[0] == 0:
                return True
            await asyncio.sleep(SCRUB_PAUSE * (attempt + 1))
        log.warning("the database log could not be emptied yet; it will be at the next forget")
        return False

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
