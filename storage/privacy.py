"""What a user may take away (export) and have deleted (forget)."""

from __future__ import annotations

from sqlalchemy import and_, delete, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Platform
from bot.ports.store import Forgotten, StoredMessage
from storage.database import Database
from storage.history import SqlHistory
from storage.mapping import media_ref
from storage.schema import conversations, messages, users
from storage.users import SqlUsers


class SqlPrivacy:
    """Implements `bot.ports.store.Privacy`."""

    def __init__(self, db: Database, history: SqlHistory, users: SqlUsers) -> None:
        self._db = db
        self._history = history
        self._users = users

    async def export(self, platform: Platform, chat_id: str) -> list[StoredMessage]:
        return await self._history.messages(platform, chat_id)

    async def forget(
        self, platform: Platform, chat_id: str, user_id: str, *, keep_id: int | None = None
    ) -> Forgotten:
        """Delete the user's messages and settings, and the chat's history when it is theirs
        (a private chat); in a group only their own messages go."""
        self._users.forget_ids()
        async with self._db.write() as conn:
            keep = messages.c.id != keep_id if keep_id is not None else true()
            user = await conn.scalar(
                select(users.c.id).where(
                    users.c.platform == platform.value, users.c.platform_user_id == user_id
                )
            )
            group = await conn.scalar(
                select(func.max(conversations.c.is_group)).where(
                    conversations.c.platform == platform.value,
                    conversations.c.chat_id == chat_id,
                )
            )
            owned = messages.c.user_id == (user if user is not None else -1)
            if not group:
                owned = or_(
                    owned,
                    and_(messages.c.platform == platform.value, messages.c.chat_id == chat_id),
                )
            found = await conn.execute(
                select(messages.c.platform, messages.c.media).where(owned, keep)
            )
            media = [(Platform(row.platform), media_ref(row.media)) for row in found.all()]
            # replies go with the messages they answer (ON DELETE CASCADE)
            await conn.execute(delete(messages).where(owned, keep))
            if user is not None:
                await self._drop_user(conn, user, keep_row=keep_id is not None)
        held = tuple((where, ref) for where, ref in media if ref is not None)
        return Forgotten(messages=len(media), media=held)

    @staticmethod
    async def _drop_user(conn: AsyncConnection, user: int, *, keep_row: bool) -> None:
        """The user's row goes, unless the request is kept (it points at them): then
        everything it holds is reset."""
        if not keep_row:
            await conn.execute(delete(users).where(users.c.id == user))
            return
        await conn.execute(
            update(users)
            .where(users.c.id == user)
            .values(name=None, voice=None, language=None, reply_mode="auto", speed=1.0)
        )
