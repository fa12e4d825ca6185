"""The SQLite store: migrations agree with the models; inbox, outbox and user data."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.models import IncomingMessage, Platform, Reply
from bot.ports.store import State
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


async def test_foreign_keys_are_enforced(store: SqlStore, message: Make) -> None:
    accepted = await store.inbox.accept(message("x"), in_context=True)
    assert accepted.id is not None
    await store.privacy.forget(Platform.CLI, "chat-1", "chat-1")
    assert await store.inbox.get(accepted.id) is None


async def test_message_ids_are_never_reused(store: SqlStore, message: Make) -> None:
    first = await store.inbox.accept(message("one"), in_context=True)
    await store.privacy.forget(Platform.CLI, "chat-1", "chat-1")
    second = await store.inbox.accept(message("two"), in_context=True)
    assert first.id is not None and second.id is not None and second.id > first.id


async def test_feedback_and_status_reports(store: SqlStore, message: Make) -> None:
    accepted = await store.inbox.accept(message("q"), in_context=True)
    assert accepted.id is not None
    reply = Reply(text="a", feedback=True)
    reply_id = await store.outbox.add_reply(accepted.id, reply, in_context=True)
    await store.outbox.mark_delivered(reply_id, ["tg-55"])
    assert await store.history.record_feedback(Platform.CLI, "chat-1", "tg-55", 1)
    assert not await store.history.record_feedback(Platform.CLI, "chat-1", "unknown", 1)
    reply = await store.inbox.get(reply_id)
    assert reply is not None and reply.feedback == 1
    await store.outbox.record_status(Platform.CLI, "tg-55", "failed", "131047 re-engagement")
    reply = await store.inbox.get(reply_id)
    assert reply is not None and reply.state is State.FAILED
    assert reply.error == "131047 re-engagement"


async def test_last_incoming_at(store: SqlStore, message: Make) -> None:
    assert await store.history.last_incoming_at(Platform.CLI, "chat-1") is None
    sent = message("hi")
    await store.inbox.accept(sent, in_context=True)
    seen = await store.history.last_incoming_at(Platform.CLI, "chat-1")
    assert seen is not None and abs((seen - sent.timestamp).total_seconds()) < 1


async def test_settings_are_remembered(store: SqlStore) -> None:
    await store.users.update(Platform.CLI, "u1", reply_mode="voice", speed=1.25)
    settings = await store.users.settings(Platform.CLI, "u1")
    assert settings.reply_mode == "voice" and settings.speed == 1.25
