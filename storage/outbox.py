"""The outbox: replies, their delivery attempts and what the platforms report."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import ContentKind, Platform, Reply
from bot.ports.store import Direction, State, StoredMessage
from storage.database import Database
from storage.mapping import (
    MESSAGE_ROWS,
    blob_rows,
    choices_json,
    reply_of,
    stored,
    stored_many,
)
from storage.schema import blobs, deliveries, messages, users, utcnow

_ANSWERED_IN = (
    select(messages.c.conversation_id, messages.c.platform, messages.c.chat_id,
           messages.c.platform_message_id, messages.c.user_id,
           users.c.notified_at.is_not(None).label("notified"))
    .select_from(messages.outerjoin(users, users.c.id == messages.c.user_id))
    .where(messages.c.id == bindparam("p_id"))
)  # fmt: skip
_NOTIFY = (
    update(users)
    .where(users.c.id == bindparam("p_user"), users.c.notified_at.is_(None))
    .values(notified_at=bindparam("p_now"))
)
_INSERT = insert(messages)
_INSERT_BLOB = insert(blobs)
_SET_STATE = (
    update(messages).where(messages.c.id == bindparam("p_id")).values(state=bindparam("p_state"))
)
_REPLY_OF = select(messages.c.platform, messages.c.answer_to).where(
    messages.c.id == bindparam("p_id")
)
_UNCLAIMED = {"claimed_by": None, "claimed_until": None}
_DELIVERED = (
    update(messages)
    .where(messages.c.id == bindparam("p_id"))
    .values(state=State.DELIVERED.value, error=None, platform_message_id=bindparam("p_sent"),
            **_UNCLAIMED)
)  # fmt: skip
# due, and no other process holds it: one statement, so two racing claims cannot both win
_CLAIM = (
    update(messages)
    .where(
        messages.c.id == bindparam("p_id"),
        messages.c.state == State.ANSWERED.value,
        or_(
            messages.c.claimed_until.is_(None),
            messages.c.claimed_until < bindparam("p_now"),
            messages.c.claimed_by == bindparam("p_owner"),
        ),
    )
    .values(claimed_by=bindparam("p_owner"), claimed_until=bindparam("p_until"))
)
_INSERT_DELIVERY = insert(deliveries)
_RECORDED = select(deliveries.c.platform_message_id).where(
    deliveries.c.message_id == bindparam("p_id")
)

_BY_STATE = (
    select(messages.c.state, func.count())
    .where(messages.c.direction == Direction.OUT.value)
    .group_by(messages.c.state)
)
_ATTEMPTS = select(messages.c.attempts).where(messages.c.id == bindparam("p_id"))
_BLOBS = select(blobs).where(blobs.c.message_id == bindparam("p_id"))
_UNDELIVERED = MESSAGE_ROWS.where(
    messages.c.direction == Direction.OUT.value, messages.c.state == State.ANSWERED.value
)


class SqlOutbox:
    """Implements `bot.ports.store.Outbox`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_reply(
        self, answer_to: int, reply: Reply, *, in_context: bool, notice: str | None = None
    ) -> int:
        async with self._db.write() as conn:
            incoming = (await conn.execute(_ANSWERED_IN, {"p_id": answer_to})).first()
            if incoming is None:
                raise LookupError(f"message {answer_to} is gone")
            text = reply.text
            # the author is marked as told even when the reply carries the words already;
            # one told before needs no second look
            due = bool(notice) and not incoming.notified
            if due and await _first_notice(conn, incoming.user_id) and str(notice) not in text:
                text = f"{text}\n\n{notice}"
            inserted = await conn.execute(
                _INSERT,
                {
                    "conversation_id": incoming.conversation_id,
                    "user_id": None,
                    "platform": incoming.platform,
                    "chat_id": incoming.chat_id,
                    "direction": Direction.OUT.value,
                    "kind": (ContentKind.VOICE if reply.voice else ContentKind.TEXT).value,
                    "text": text,
                    "state": State.ANSWERED.value,
                    "reply_to_platform_id": incoming.platform_message_id,
                    "answer_to": answer_to,
                    "in_context": in_context,
                    "choices": choices_json(reply.choices),
                    "feedback": 0 if reply.feedback else None,
                    "event": reply.event.value if reply.event else None,
                },
            )
            assert inserted.inserted_primary_key is not None
            reply_id = int(inserted.inserted_primary_key[0])
            if rows := blob_rows(reply_id, reply):
                await conn.execute(_INSERT_BLOB, rows)
            await conn.execute(_SET_STATE, {"p_id": answer_to, "p_state": State.ANSWERED.value})
            return reply_id

    async def undelivered(self, *, due_before: datetime | None = None) -> list[StoredMessage]:
        query = _UNDELIVERED
        if due_before is not None:  # only those whose retry has come due
            query = query.where(
                messages.c.retry_at.is_not(None), messages.c.retry_at <= due_before
            )
        async with self._db.read() as conn:
            rows = (await conn.execute(query.order_by(messages.c.id))).all()
            return await stored_many(conn, rows)

    async def load_reply(self, message_id: int) -> tuple[StoredMessage, Reply] | None:
        async with self._db.read() as conn:
            row = (await conn.execute(MESSAGE_ROWS.where(messages.c.id == message_id))).first()
            if row is None:
                return None
            found = {blob.role: blob for blob in await conn.execute(_BLOBS, {"p_id": message_id})}
        flags = {(message_id, role): blob.duration for role, blob in found.items()}
        message = stored(row, flags)
        return message, reply_of(message, found)

    async def by_state(self) -> dict[str, int]:
        async with self._db.read() as conn:
            rows = (await conn.execute(_BY_STATE)).all()
        return {str(state): int(count) for state, count in rows}

    async def claim(self, message_id: int, owner: str, lease: float) -> bool:
        now = utcnow()
        until = now + timedelta(seconds=lease)
        async with self._db.write() as conn:
            taken = await conn.execute(
                _CLAIM, {"p_id": message_id, "p_owner": owner, "p_now": now, "p_until": until}
            )
        return bool(taken.rowcount)

    async def release_claims(self) -> int:
        async with self._db.write() as conn:
            released = await conn.execute(
                update(messages).where(messages.c.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
            )  # fmt: skip
        return int(released.rowcount or 0)

    async def mark_delivered(self, message_id: int, platform_ids: list[str]) -> None:
        async with self._db.write() as conn:
            row = (await conn.execute(_REPLY_OF, {"p_id": message_id})).first()
            if row is None:
                return
            sent = platform_ids[0] if platform_ids else None
            await conn.execute(_DELIVERED, {"p_id": message_id, "p_sent": sent})
            known = set((await conn.execute(_RECORDED, {"p_id": message_id})).scalars())
            if new := [pid for pid in dict.fromkeys(platform_ids) if pid not in known]:
                await conn.execute(
                    _INSERT_DELIVERY,
                    [{"message_id": message_id, "platform": row.platform,
                      "platform_message_id": pid} for pid in new],
                )  # fmt: skip
            if row.answer_to is not None:
                await conn.execute(
                    _SET_STATE, {"p_id": row.answer_to, "p_state": State.DELIVERED.value}
                )

    async def mark_delivery_failed(
        self, message_id: int, reason: str, *, permanent: bool, retry_at: datetime | None
    ) -> None:
        async with self._db.write() as conn:
            row = (await conn.execute(_REPLY_OF, {"p_id": message_id})).first()
            if row is None:
                return
            values: dict[str, object] = {
                "error": reason, "attempts": messages.c.attempts + 1, "retry_at": retry_at,
                **_UNCLAIMED,
            }  # fmt: skip
            if permanent:
                values["state"] = State.FAILED.value
            await conn.execute(update(messages).where(messages.c.id == message_id).values(values))
            if permanent and row.answer_to is not None:
                await conn.execute(
                    update(messages)
                    .where(messages.c.id == row.answer_to)
                    .values(state=State.FAILED.value, error=reason)
                )

    async def attempts(self, message_id: int) -> int:
        async with self._db.read() as conn:
            found = await conn.scalar(_ATTEMPTS, {"p_id": message_id})
        return int(found or 0)

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        async with self._db.write() as conn:
            delivery = (
                await conn.execute(
                    select(deliveries.c.id, deliveries.c.message_id).where(
                        deliveries.c.platform == platform.value,
                        deliveries.c.platform_message_id == platform_message_id,
                    )
                )
            ).first()
            if delivery is None:
                return
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery.id)
                .values(status=status, error=error)
            )
            if status == "failed":
                await conn.execute(
                    update(messages)
                    .where(messages.c.id == delivery.message_id)
                    .values(state=State.FAILED.value, error=error or "failed")
                )

    # replies waiting for the user ----------------------------------------------

    async def mark_waiting(self, message_id: int, reason: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(messages)
                .where(messages.c.id == message_id, messages.c.state == State.ANSWERED.value)
                .values(state=State.WAITING.value, error=reason, retry_at=None,
                        attempts=messages.c.attempts + 1, **_UNCLAIMED)
            )  # fmt: skip

    async def hold(
        self, platform: Platform, platform_message_id: str, reason: str | None
    ) -> str | None:
        async with self._db.write() as conn:
            found = (await conn.execute(
                select(deliveries.c.id, messages.c.id.label("reply"), messages.c.chat_id,
                       messages.c.answer_to)
                .join(messages, messages.c.id == deliveries.c.message_id)
                .where(deliveries.c.platform == platform.value,
                       deliveries.c.platform_message_id == platform_message_id)
            )).first()  # fmt: skip
            if found is None:
                return None
            await conn.execute(delete(deliveries).where(deliveries.c.id == found.id))
            await conn.execute(
                update(messages).where(messages.c.id == found.reply)
                .values(state=State.WAITING.value, error=reason or "waiting for the user",
                        **_UNCLAIMED)
            )  # fmt: skip
            if found.answer_to is not None:
                await conn.execute(_SET_STATE, {"p_id": found.answer_to,
                                                "p_state": State.ANSWERED.value})  # fmt: skip
            return str(found.chat_id)

    async def reopen(self, platform: Platform, chat_id: str) -> list[int]:
        waiting = (
            messages.c.platform == platform.value,
            messages.c.chat_id == chat_id,
            messages.c.state == State.WAITING.value,
        )
        async with self._db.write() as conn:
            ids = list((await conn.execute(
                select(messages.c.id).where(*waiting).order_by(messages.c.id)
            )).scalars())  # fmt: skip
            if ids:
                await conn.execute(
                    update(messages).where(messages.c.id.in_(ids))
                    .values(state=State.ANSWERED.value, error=None)
                )  # fmt: skip
        return ids

    async def waiting_chats(self) -> list[tuple[Platform, str]]:
        query = (
            select(messages.c.platform, messages.c.chat_id)
            .where(messages.c.state == State.WAITING.value)
            .distinct()
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [(Platform(row[0]), row[1]) for row in rows]


async def _first_notice(conn: AsyncConnection, user_id: int | None) -> bool:
    """Mark the user as shown the notice; True when this is the first time."""
    if user_id is None:
        return False
    marked = await conn.execute(_NOTIFY, {"p_user": user_id, "p_now": utcnow()})
    return bool(marked.rowcount)
