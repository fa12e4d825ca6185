"""What was sent of each reply, part by part, so a retry sends only the missing parts."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select, update

from bot.ports.store import Direction, SentPart
from storage.database import Database
from storage.mapping import aware
from storage.schema import deliveries, messages, utcnow

_INSERT_DELIVERY = insert(deliveries)
_PARTS = select(
    deliveries.c.part, deliveries.c.platform_message_id, deliveries.c.status,
    deliveries.c.updated_at,
).where(deliveries.c.message_id == bindparam("p_id"), deliveries.c.part.is_not(None))  # fmt: skip
_PART = select(deliveries.c.id, deliveries.c.platform_message_id, deliveries.c.status).where(
    deliveries.c.message_id == bindparam("p_id"), deliveries.c.part == bindparam("p_part")
)
UNCLEAR = "unclear"


class SqlParts:
    """Implements `bot.ports.store.Parts` on the `deliveries` table (a row per part)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, message_id: int) -> dict[int, SentPart]:
        async with self._db.read() as conn:
            rows = (await conn.execute(_PARTS, {"p_id": message_id})).all()
        return {
            int(row.part): SentPart(platform_id=None, unclear_since=aware(row.updated_at))
            if row.status == UNCLEAR else SentPart(platform_id=row.platform_message_id)
            for row in rows
        }  # fmt: skip

    async def record(self, message_id: int, part: int, platform_id: str | None) -> str | None:
        # urgent: the shorter the time between a platform taking a part and its record,
        # the smaller the window in which a crash makes a restart send it again
        async with self._db.write(urgent=True) as conn:
            found = (await conn.execute(_PART, {"p_id": message_id, "p_part": part})).first()
            if found is not None and found.status != UNCLEAR:
                return str(found.platform_message_id)  # settled already (by a report)
            values: dict[str, object] = (
                {"platform_message_id": platform_id, "status": "sent"} if platform_id
                else {"platform_message_id": f"{UNCLEAR}:{part}", "status": UNCLEAR}
            )  # fmt: skip
            values["updated_at"] = utcnow()
            if found is not None:
                await conn.execute(update(deliveries).where(deliveries.c.id == found.id)
                                   .values(values))  # fmt: skip
            else:
                platform = await conn.scalar(select(messages.c.platform)
                                             .where(messages.c.id == message_id))  # fmt: skip
                if platform is None:
                    return None  # the reply is gone (forgotten)
                await conn.execute(_INSERT_DELIVERY, {**values, "message_id": message_id,
                                                      "platform": platform, "part": part})
            return platform_id

    async def drop(self, message_id: int, part: int) -> None:
        async with self._db.write(urgent=True) as conn:
            await conn.execute(delete(deliveries).where(
                deliveries.c.message_id == message_id, deliveries.c.part == part,
                deliveries.c.status == UNCLEAR,
            ))  # fmt: skip

    async def report(
        self, message_id: int, part: int, platform_id: str, status: str
    ) -> bool:
        async with self._db.write() as conn:
            found = (await conn.execute(_PART, {"p_id": message_id, "p_part": part})).first()
            if found is not None and found.status != UNCLEAR:
                return False
            values = {"platform_message_id": platform_id, "status": status,
                      "updated_at": utcnow()}  # fmt: skip
            if found is not None:
                await conn.execute(update(deliveries).where(deliveries.c.id == found.id)
                                   .values(values))  # fmt: skip
                return True
            platform = await conn.scalar(
                select(messages.c.platform).where(
                    messages.c.id == message_id, messages.c.direction == Direction.OUT.value
                )
            )
            if platform is None:
                return False
            await conn.execute(_INSERT_DELIVERY, {**values, "message_id": message_id,
                                                  "platform": platform, "part": part})
            return True
