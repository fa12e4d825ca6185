"""The inbox: incoming messages, accepted once each, and their states."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import IncomingMessage, Platform
from bot.ports.store import Accepted, Direction, State, StoredMessage
from storage.database import Database
from storage.mapping import MESSAGE_ROWS, aware, media_json, stored_many
from storage.schema import conversations, messages, utcnow
from storage.users import SqlUsers

# Statements run for every message, built once: building a statement and its cache key
# costs more CPU than SQLite takes to run it. Values are bound at execution.
_INCOMING_ID = select(messages.c.id).where(
    messages.c.platform == bindparam("p_platform"),
    messages.c.chat_id == bindparam("p_chat"),
    messages.c.direction == Direction.IN.value,
    messages.c.platform_message_id == bindparam("p_message"),
)
_CURRENT_CONVERSATION = select(func.max(conversations.c.id)).where(
    conversations.c.platform == bindparam("p_platform"),
    conversations.c.chat_id == bindparam("p_chat"),
)
_MESSAGE_BY_ID = MESSAGE_ROWS.where(messages.c.id == bindparam("p_id"))
_UNANSWERED = MESSAGE_ROWS.where(
    messages.c.direction == Direction.IN.value,
    messages.c.state.in_([State.RECEIVED.value, State.WORKING.value]),
).order_by(messages.c.id)
_SET_STATE = (
    update(messages).where(messages.c.id == bindparam("p_id")).values(state=bindparam("p_state"))
)
_SET_STATE_AND_ERROR = (
    update(messages)
    .where(messages.c.id == bindparam("p_id"))
    .values(state=bindparam("p_state"), error=bindparam("p_error"))
)
_INSERT = insert(messages)
_WORKING = select(messages.c.id).where(
    messages.c.platform == bindparam("p_platform"),
    messages.c.chat_id == bindparam("p_chat"),
    messages.c.direction == Direction.IN.value,
    messages.c.state == State.WORKING.value,
    messages.c.id < bindparam("p_before"),
).limit(1)


_BACKLOG = select(func.count(), func.min(messages.c.created_at)).where(
    messages.c.direction == Direction.IN.value,
    messages.c.state.in_([State.RECEIVED.value, State.WORKING.value]),
)


class Jobs(Protocol):
    """Queues a stored message's job on the connection that stored it."""

    async def defer(self, conn: AsyncConnection, message_id: int, lock: str | None) -> None: ...


async def current_conversation(
    conn: AsyncConnection, platform: Platform, chat_id: str, *, is_group: bool = False
) -> int:
    """The chat's newest conversation, started on first contact."""
    found = await conn.scalar(
        _CURRENT_CONVERSATION, {"p_platform": platform.value, "p_chat": chat_id}
    )
    if found is not None:
        return int(found)
    return await new_conversation(conn, platform, chat_id, is_group=is_group)


async def new_conversation(
    conn: AsyncConnection, platform: Platform, chat_id: str, *, is_group: bool = False
) -> int:
    inserted = await conn.execute(
        insert(conversations).values(platform=platform.value, chat_id=chat_id, is_group=is_group)
    )
    assert inserted.inserted_primary_key is not None
    return int(inserted.inserted_primary_key[0])


class SqlInbox:
    """Implements `bot.ports.store.Inbox`. One short transaction per call."""

    def __init__(self, db: Database, users: SqlUsers, jobs: Jobs | None = None) -> None:
        self._db = db
        self._users = users
        self._jobs = jobs

    async def accept(
        self,
        message: IncomingMessage,
        *,
        in_context: bool,
        admit: Callable[[], bool] | None = None,
        ordered: bool = True,
        live: bool = False,
    ) -> Accepted:
        key = {"p_platform": message.platform.value, "p_chat": message.chat_id,
               "p_message": message.message_id}  # fmt: skip
        try:
            async with self._db.write(urgent=True) as conn:
                existing = await conn.scalar(_INCOMING_ID, key)
                if existing is not None:
                    return Accepted(id=existing, duplicate=True)
                if admit is not None and not admit():
                    return Accepted(id=None, refused=True)
                return Accepted(id=await self._insert(conn, message, in_context, ordered, live))
        except IntegrityError:  # a concurrent redelivery won the race, or a cached user
            self._users.forget_ids()  # row was deleted by a forget (another process's too)
            async with self._db.read() as conn:
                existing = await conn.scalar(_INCOMING_ID, key)
            if existing is not None:
                return Accepted(id=existing, duplicate=True)
            async with self._db.write(urgent=True) as conn:
                return Accepted(id=await self._insert(conn, message, in_context, ordered, live))
        except BaseException:
            self._users.forget_ids()  # a user row made in the rolled-back transaction is gone
            raise

    async def _insert(
        self, conn: AsyncConnection, message: IncomingMessage, in_context: bool, ordered: bool,
        live: bool,
    ) -> int:
        user_id = await self._users.ensure(
            conn, message.platform, message.user_id, message.user_name
        )
        conversation = await current_conversation(
            conn, message.platform, message.chat_id, is_group=message.is_group
        )
        inserted = await conn.execute(
            _INSERT,
            {
                "conversation_id": conversation,
                "user_id": user_id,
                "platform": message.platform.value,
                "chat_id": message.chat_id,
                "direction": Direction.IN.value,
                "kind": message.kind.value,
                "text": message.text,
                "state": (State.ANSWERED if live else State.RECEIVED).value,
                "platform_message_id": message.message_id,
                "reply_to_platform_id": message.reply_to_id,
                "reply_to_text": message.reply_to_text,
                "media": media_json(message.media),
                "in_context": in_context,
                "error": message.unsupported_type,
                "created_at": message.timestamp,
            },
        )
        assert inserted.inserted_primary_key is not None
        message_id = int(inserted.inserted_primary_key[0])
        if self._jobs is not None and not live:
            await self._jobs.defer(conn, message_id, message.chat_key if ordered else None)
        return message_id

    async def backlog(self) -> tuple[int, float]:
        async with self._db.read() as conn:
            row = (await conn.execute(_BACKLOG)).one()
        count, oldest = int(row[0] or 0), aware(row[1])
        return count, (utcnow() - oldest).total_seconds() if oldest is not None else 0.0

    async def working(self, platform: Platform, chat_id: str, before: int) -> bool:
        params = {"p_platform": platform.value, "p_chat": chat_id, "p_before": before}
        async with self._db.read() as conn:
            return await conn.scalar(_WORKING, params) is not None

    async def get(self, message_id: int) -> StoredMessage | None:
        async with self._db.read() as conn:
            rows = (await conn.execute(_MESSAGE_BY_ID, {"p_id": message_id})).all()
            found = await stored_many(conn, rows)
        return found[0] if found else None

    async def set_state(self, message_id: int, state: State, error: str | None = None) -> None:
        async with self._db.write() as conn:
            params = {"p_id": message_id, "p_state": state.value}
            if error is not None or state is State.FAILED:
                await conn.execute(_SET_STATE_AND_ERROR, {**params, "p_error": error})
            else:
                await conn.execute(_SET_STATE, params)

    async def record_understanding(
        self,
        message_id: int,
        *,
        transcript: str | None = None,
        caption: str | None = None,
        language: str | None = None,
    ) -> None:
        found = {"transcript": transcript, "caption": caption, "language": language}
        values = {key: value for key, value in found.items() if value is not None}
        if not values:
            return
        async with self._db.write() as conn:
            await conn.execute(update(messages).where(messages.c.id == message_id).values(**values))

    async def unanswered(self) -> list[StoredMessage]:
        async with self._db.read() as conn:
            rows = (await conn.execute(_UNANSWERED)).all()
            return await stored_many(conn, rows)
