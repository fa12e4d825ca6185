"""What a user may take away (export) and have deleted (forget), leaving nothing behind."""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Platform, ReplyEvent
from bot.ports.store import Closing, Direction, Forgotten, Profile, State, StoredMessage
from storage.database import Database
from storage.history import SqlHistory
from storage.mapping import MESSAGE_ROWS, aware, media_ref, stored_many
from storage.schema import conversations, messages, users, utcnow
from storage.users import SqlUsers, settings_of

_CONFIRMATION = and_(
    messages.c.direction == Direction.OUT.value,
    messages.c.event == ReplyEvent.HISTORY_DELETED.value,
)
_SETTLED = (State.DELIVERED.value, State.FAILED.value, State.WAITING.value)


class SqlPrivacy:
    """Implements `bot.ports.store.Privacy`."""

    def __init__(self, db: Database, history: SqlHistory, users: SqlUsers) -> None:
        self._db = db
        self._history = history
        self._users = users

    async def export(self, platform: Platform, chat_id: str) -> list[StoredMessage]:
        return await self._history.messages(platform, chat_id)

    async def elsewhere(
        self, platform: Platform, chat_id: str, user_id: str
    ) -> list[StoredMessage]:
        query = (
            MESSAGE_ROWS.where(
                users.c.platform == platform.value, users.c.platform_user_id == user_id,
                messages.c.chat_id != chat_id,
            )
            .order_by(messages.c.id)
        )  # fmt: skip
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            return await stored_many(conn, rows)

    async def profile(self, platform: Platform, user_id: str) -> Profile | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(users).where(
                users.c.platform == platform.value, users.c.platform_user_id == user_id
            ))).first()  # fmt: skip
        if row is None:
            return None
        return Profile(name=row.name, settings=settings_of(row),
                       first_seen=aware(row.created_at) or utcnow(),
                       last_seen=aware(row.last_seen_at))  # fmt: skip

    async def forget(
        self, platform: Platform, chat_id: str, user_id: str, *, keep_id: int | None = None
    ) -> Forgotten:
        """The user's messages (everywhere on the platform) and row go; in a private chat
        the chat's history and conversations too, in a group only what is theirs and the
        quotes of it in others' messages."""
        self._users.forget_ids()
        async with self._db.write() as conn:
            user = await conn.scalar(select(users.c.id).where(
                users.c.platform == platform.value, users.c.platform_user_id == user_id
            ))  # fmt: skip
            group = bool(await conn.scalar(  # any of its conversations a group (no max(bool))
                select(conversations.c.id).where(
                    conversations.c.platform == platform.value, conversations.c.chat_id == chat_id,
                    conversations.c.is_group.is_(True),
                ).limit(1)
            ))  # fmt: skip
            owned = messages.c.user_id == (user if user is not None else -1)
            if not group:
                owned = or_(owned, and_(messages.c.platform == platform.value,
                                        messages.c.chat_id == chat_id))  # fmt: skip
            gone = and_(owned, messages.c.id != keep_id if keep_id is not None else true())
            found = (await conn.execute(
                select(messages.c.platform, messages.c.media, messages.c.platform_message_id)
                .where(gone)
            )).all()  # fmt: skip
            if group:
                await _unquote(conn, platform, chat_id, [r.platform_message_id for r in found])
            if keep_id is not None:  # the request outlives its author's row until closed
                await conn.execute(update(messages).where(messages.c.id == keep_id)
                                   .values(user_id=None))  # fmt: skip
            await conn.execute(delete(messages).where(gone))  # replies go with what they answer
            if user is not None:
                await conn.execute(delete(users).where(users.c.id == user))
            if not group:
                await _drop_conversations(conn, platform, chat_id, keeping=keep_id)
        self._users.forget_ids()  # an accept may have cached the row while we waited
        await self._db.scrub()
        media = [(Platform(row.platform), media_ref(row.media)) for row in found]
        held = tuple((where, ref) for where, ref in media if ref is not None)
        return Forgotten(messages=len(found), media=held)

    async def close(self, platform: Platform, chat_id: str, reply_id: int) -> bool:
        async with self._db.write() as conn:
            request = (await conn.execute(
                select(messages.c.answer_to).where(
                    messages.c.id == reply_id, messages.c.platform == platform.value,
                    messages.c.chat_id == chat_id, _CONFIRMATION,
                )
            )).first()  # fmt: skip
            if request is None:
                return False
            await conn.execute(delete(messages).where(
                messages.c.id.in_([reply_id, request.answer_to or reply_id])
            ))  # fmt: skip
            await _drop_conversations(conn, platform, chat_id, keeping=None, only_empty=True)
        await self._db.scrub()
        return True

    async def confirmations(self) -> list[Closing]:
        async with self._db.read() as conn:
            rows = (await conn.execute(
                select(messages.c.id, messages.c.platform, messages.c.chat_id,
                       messages.c.updated_at)
                .where(_CONFIRMATION, messages.c.state.in_(_SETTLED))
                .order_by(messages.c.id)
            )).all()  # fmt: skip
        return [
            Closing(platform=Platform(row.platform), chat_id=row.chat_id, reply_id=row.id,
                    settled_at=aware(row.updated_at) or utcnow())
            for row in rows
        ]  # fmt: skip


async def _unquote(
    conn: AsyncConnection, platform: Platform, chat_id: str, platform_ids: list[str | None]
) -> None:
    """Others' messages that quote a forgotten one keep no copy of its words."""
    quoted = [pid for pid in platform_ids if pid]
    if quoted:
        await conn.execute(
            update(messages)
            .where(messages.c.platform == platform.value, messages.c.chat_id == chat_id,
                   messages.c.reply_to_platform_id.in_(quoted))
            .values(reply_to_text=None)
        )  # fmt: skip


async def _drop_conversations(
    conn: AsyncConnection,
    platform: Platform,
    chat_id: str,
    *,
    keeping: int | None,
    only_empty: bool = False,
) -> None:
    """The chat's conversations, but the one holding the message `keeping` (and, when
    `only_empty`, any that still holds a message)."""
    chat = and_(conversations.c.platform == platform.value, conversations.c.chat_id == chat_id)
    condition = chat
    if keeping is not None:
        held = select(messages.c.conversation_id).where(messages.c.id == keeping)
        condition = and_(condition, conversations.c.id != held.scalar_subquery())
    if only_empty:
        used = exists().where(messages.c.conversation_id == conversations.c.id)
        condition = and_(condition, ~used)
    await conn.execute(delete(conversations).where(condition))
