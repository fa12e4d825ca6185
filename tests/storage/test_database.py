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
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"


def test_a_fresh_clone_creates_the_data_folder(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there.db"
    upgrade(f"sqlite+aiosqlite:///{target}")
    assert target.exists()


async def test_a_store_pings_and_closes(db_url: str) -> None:
    store = SqlStore.from_url(db_url)
    await store.ping()
    await store.close()
