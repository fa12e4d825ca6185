"""Conversations read back: the model's context window, the chat as people see it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update

from bot.models import Attachment, Platform
from bot.ports.store import Direction, StoredMessage
from storage import inbox
from storage.database import Database
from storage.mapping import MESSAGE_ROWS, attachment_of, aware, stored, stored_many
from storage.schema import blobs, deliveries, messages

CONTEXT_ROWS = 200  # far more than any window holds; bounds the work on very long chats

_CONTEXT = (
    MESSAGE_ROWS.where(
        messages.c.conversation_id == bindparam("p_conversation"),
        messages.c.in_context.is_(True),
        or_(messages.c.id <= bindparam("p_id"), messages.c.answer_to <= bindparam("p_id")),
    )
    .order_by(messages.c.id.desc())
    .limit(CONTEXT_ROWS)
)
_BLOB = select(blobs).where(
    blobs.c.message_id == bindparam("p_id"), blobs.c.role == bindparam("p_role")
)
_LAST_INCOMING = select(func.max(messages.c.created_at)).where(
    messages.c.platform == bindparam("p_platform"),
    messages.c.chat_id == bindparam("p_chat"),
    messages.c.direction == Direction.IN.value,
)


class SqlHistory:
    """Implements `bot.ports.store.History` (and the channels' `ChatLog` and `LastSeen`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def context(self, message: StoredMessage) -> list[StoredMessage]:
        """The latest turns of the conversation up to `message`, oldest first (words only:
        voice and attachment flags are not looked up)."""
        async with self._db.read() as conn:
            found = await conn.execute(
                _CONTEXT, {"p_conversation": message.conversation_id, "p_id": message.id}
            )
            rows = list(found.all())
        # a reply sits right after the message it answers, even if stored later
        rows.sort(key=lambda row: (row.answer_to or row.id, row.direction, row.id))
        return [stored(row, {}) for row in rows]

    async def messages(
        self, platform: Platform, chat_id: str, *, after_id: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        query = MESSAGE_ROWS.where(
            messages.c.platform == platform.value,
            messages.c.chat_id == chat_id,
            messages.c.id > after_id,
        ).order_by(messages.c.id.desc() if limit else messages.c.id)
        if limit:
            query = query.limit(limit)
        async with self._db.read() as conn:
            rows = list((await conn.execute(query)).all())
            if limit:
                rows.reverse()
            return await stored_many(conn, rows)

    async def voice(self, message_id: int) -> bytes | None:
        async with self._db.read() as conn:
            blob = (await conn.execute(_BLOB, {"p_id": message_id, "p_role": "voice"})).first()
        return bytes(blob.data) if blob else None

    async def attachment(self, message_id: int) -> Attachment | None:
        async with self._db.read() as conn:
            blob = (
                await conn.execute(_BLOB, {"p_id": message_id, "p_role": "attachment"})
            ).first()
        return attachment_of(blob) if blob else None

    async def new_conversation(self, platform: Platform, chat_id: str) -> None:
        async with self._db.write() as conn:
            await inbox.new_conversation(conn, platform, chat_id)

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        async with self._db.write() as conn:
            message_id = await conn.scalar(
                select(deliveries.c.message_id)
                .join(messages, messages.c.id == deliveries.c.message_id)
                .where(
                    deliveries.c.platform == platform.value,
                    deliveries.c.platform_message_id == platform_message_id,
                    messages.c.chat_id == chat_id,
                )
            )
            if message_id is None:
                return False
            await conn.execute(
                update(messages).where(messages.c.id == message_id).values(feedback=value)
            )
            return True

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        async with self._db.read() as conn:
            moment = await conn.scalar(
                _LAST_INCOMING, {"p_platform": platform.value, "p_chat": chat_id}
            )
        return aware(moment)
