"""Migrations own the schema: they agree with the tables, run twice, and need no set-up."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.models import IncomingMessage
from storage.database import upgrade
from storage.schema import metadata
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0003"


def test_a_fresh_clone_creates_the_data_folder(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there.db"
    upgrade(f"sqlite+aiosqlite:///{target}")
    assert target.exists()


async def test_a_store_pings_and_closes(db_url: str) -> None:
    store = SqlStore.from_url(db_url)
    await store.ping()
    await store.close()


def test_deleted_rows_are_zeroed_whatever_sqlite_was_built_with(tmp_path: Path) -> None:
    """Debian builds SQLite with secure_delete on; others do not. The engine asks for it."""
    from storage.database import _sqlite_pragmas

    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute("PRAGMA secure_delete=OFF")
    _sqlite_pragmas(conn, None)
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    conn.close()


async def test_scrub_leaves_an_empty_wal(db_url: str, tmp_path: Path, message: Make) -> None:
    store = SqlStore.from_url(db_url)
    await store.inbox.accept(message("marker-in-the-log"), in_context=True)
    wal = tmp_path / "omnivox.db-wal"
    assert wal.stat().st_size > 0
    assert await store.db.scrub()
    assert wal.stat().st_size == 0
    await store.close()
