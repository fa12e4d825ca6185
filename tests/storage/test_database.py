"""Migrations own the schema: they agree with the tables, run twice, and need no set-up."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.models import IncomingMessage
from storage.database import upgrade
from storage.schema import metadata
from storage.store import SqlStore
from tests.support.postgres import Databases

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
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0004"


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


async def test_scrub_leaves_an_empty_wal(
    sqlite_url: str, tmp_path: Path, message: Make
) -> None:
    store = SqlStore.from_url(sqlite_url)
    await store.inbox.accept(message("marker-in-the-log"), in_context=True)
    wal = tmp_path / "omnivox.db-wal"
    assert wal.stat().st_size > 0
    assert await store.db.scrub()
    assert wal.stat().st_size == 0
    await store.close()


def test_migrations_run_on_an_empty_postgresql_and_agree_with_the_tables(
    pg_databases: Databases,
) -> None:
    url = pg_databases.empty()
    upgrade(url)
    upgrade(url)  # a second run changes nothing
    sync_url = make_url(url).set(drivername="postgresql+psycopg")
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _ours})
        diff = compare_metadata(context, metadata)
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        queue = conn.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar()
    engine.dispose()
    assert diff == []
    assert version == "0004" and queue == "procrastinate_jobs"


def _ours(name: str | None, kind: str, _parent: object) -> bool:
    """The queue's own tables are procrastinate's, not in our metadata."""
    return not (kind == "table" and name is not None and name.startswith("procrastinate_"))
