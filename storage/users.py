"""People and their settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Platform
from bot.ports.store import UserSettings
from storage.database import Database
from storage.schema import users, utcnow

SETTINGS = ("voice", "reply_mode", "language", "speed")

_FIND = select(users.c.id, users.c.name).where(
    users.c.platform == bindparam("p_platform"), users.c.platform_user_id == bindparam("p_user")
)
_SETTINGS = select(users.c.voice, users.c.reply_mode, users.c.language, users.c.speed).where(
    users.c.platform == bindparam("p_platform"), users.c.platform_user_id == bindparam("p_user")
)


def settings_of(row: Any) -> UserSettings:
    return UserSettings(
        voice=row.voice,
        reply_mode=row.reply_mode or "auto",
        language=row.language,
        speed=row.speed or 1.0,
    )


class SqlUsers:
    """Implements `bot.ports.store.Users`; `ensure` gives the inbox a user's row id."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # (platform, user id, name) → row id: a known sender costs no query per message
        self._ids: dict[tuple[str, str, str | None], int] = {}

    async def ensure(
        self, conn: AsyncConnection, platform: Platform, user_id: str, name: str | None = None
    ) -> int:
        """The user's row id, creating the row on first contact and keeping the name."""
        key = (platform.value, user_id, name)
        known = self._ids.get(key)
        if known is not None:
            return known
        params = {"p_platform": platform.value, "p_user": user_id}
        row = (await conn.execute(_FIND, params)).first()
        now = utcnow()
        if row is None:
            inserted = await conn.execute(
                insert(users).values(platform=platform.value, platform_user_id=user_id,
                                     name=name, last_seen_at=now)
            )  # fmt: skip
            assert inserted.inserted_primary_key is not None
            row_id = int(inserted.inserted_primary_key[0])
        else:
            row_id = int(row.id)
            values: dict[str, object] = {"last_seen_at": now}
            if name and row.name != name:
                values["name"] = name
            await conn.execute(update(users).where(users.c.id == row_id).values(**values))
        self._ids[key] = row_id
        return row_id

    def forget_ids(self) -> None:
        """Drop the id cache (rows were deleted, or a transaction that made one rolled back)."""
        self._ids.clear()

    async def settings(self, platform: Platform, user_id: str) -> UserSettings:
        async with self._db.read() as conn:
            row = (
                await conn.execute(_SETTINGS, {"p_platform": platform.value, "p_user": user_id})
            ).first()
        return UserSettings() if row is None else settings_of(row)

    async def update(self, platform: Platform, user_id: str, **changes: object) -> None:
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        try:
            async with self._db.write() as conn:
                row_id = await self.ensure(conn, platform, user_id)
                if changes:
                    await conn.execute(update(users).where(users.c.id == row_id).values(**changes))
        except BaseException:
            self.forget_ids()  # a row made in the rolled-back transaction is gone
            raise
