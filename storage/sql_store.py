"""The Store on SQLAlchemy 2 async: inbox, outbox, history and user settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, text, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.models import (
    Attachment,
    Choice,
    ContentKind,
    IncomingMessage,
    MediaRef,
    Platform,
    Reply,
    VoiceAudio,
)
from bot.ports import Accepted, Direction, State, StoredMessage, UserSettings
from storage.database import create_engine
from storage.schema import Blob, Conversation, Delivery, Message, User, utcnow
from storage.writer_queue import WriterQueue


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _media_json(media: MediaRef | None) -> dict[str, Any] | None:
    if media is None:
        return None
    return {
        "file_id": media.file_id,
        "mime_type": media.mime_type,
        "size": media.size,
        "duration": media.duration,
        "file_name": media.file_name,
    }


def _media(data: dict[str, Any] | None) -> MediaRef | None:
    return MediaRef(**data) if data else None


CONTEXT_ROWS = 200  # far more than any window holds; bounds the work on very long chats

# Statements run for every message, built once: building a statement and its cache key
# costs more CPU than SQLite takes to run it. Values are bound at execution.
_INCOMING_ID = select(Message.id).where(
    Message.platform == bindparam("p_platform"),
    Message.chat_id == bindparam("p_chat"),
    Message.direction == Direction.IN.value,
    Message.platform_message_id == bindparam("p_message"),
)
_CURRENT_CONVERSATION = select(func.max(Conversation.id)).where(
    Conversation.platform == bindparam("p_platform"), Conversation.chat_id == bindparam("p_chat")
)
_MESSAGE_BY_ID = (
    select(Message, User.platform_user_id)
    .outerjoin(User, User.id == Message.user_id)
    .where(Message.id == bindparam("p_id"))
)
_BLOBS_OF = select(Blob.message_id, Blob.role, Blob.duration).where(
    Blob.message_id.in_(bindparam("p_ids", expanding=True))
)
_SET_STATE = (
    update(Message).where(Message.id == bindparam("p_id")).values(state=bindparam("p_state"))
)
_SET_STATE_AND_ERROR = (
    update(Message)
    .where(Message.id == bindparam("p_id"))
    .values(state=bindparam("p_state"), error=bindparam("p_error"))
)
_USER = select(User).where(
    User.platform == bindparam("p_platform"), User.platform_user_id == bindparam("p_user")
)
_CONTEXT = (
    select(Message, User.platform_user_id)
    .outerjoin(User, User.id == Message.user_id)
    .where(
        Message.conversation_id == bindparam("p_conversation"),
        Message.in_context.is_(True),
        or_(Message.id <= bindparam("p_id"), Message.answer_to <= bindparam("p_id")),
    )
    .order_by(Message.id.desc())
    .limit(CONTEXT_ROWS)
)
_ANSWERED_IN = select(Message.conversation_id, Message.platform, Message.chat_id).where(
    Message.id == bindparam("p_id")
)
_INSERT_MESSAGE = insert(Message)
_REPLY_OF = select(Message.platform, Message.answer_to).where(Message.id == bindparam("p_id"))
_DELIVERED = (
    update(Message)
    .where(Message.id == bindparam("p_id"))
    .values(state=State.DELIVERED.value, error=None, platform_message_id=bindparam("p_sent"))
)
_INSERT_DELIVERY = insert(Delivery)


def _to_stored(
    row: Message, user_key: str, blobs: dict[tuple[int, str], float | None]
) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        conversation_id=row.conversation_id,
        platform=Platform(row.platform),
        chat_id=row.chat_id,
        user_id=user_key,
        direction=Direction(row.direction),
        kind=ContentKind(row.kind),
        text=row.text,
        transcript=row.transcript,
        caption=row.caption,
        language=row.language,
        state=State(row.state),
        error=row.error,
        platform_message_id=row.platform_message_id,
        reply_to_platform_id=row.reply_to_platform_id,
        reply_to_text=row.reply_to_text,
        answer_to=row.answer_to,
        media=_media(row.media),
        has_voice=(row.id, "voice") in blobs,
        voice_duration=blobs.get((row.id, "voice")),
        has_attachment=(row.id, "attachment") in blobs,
        choices=tuple(Choice(**c) for c in row.choices or ()),
        in_context=row.in_context,
        feedback=row.feedback,
        created_at=_aware(row.created_at) or utcnow(),
        attempts=row.attempts or 0,
    )


class SqlStore:
    """Implements `bot.ports.Store`. One short transaction per call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing writers here is far cheaper than
        # letting them spin in SQLite's busy handler. Other databases need no such queue.
        self._writers = WriterQueue() if engine.dialect.name == "sqlite" else None
        self._user_ids: dict[tuple[str, str, str | None], int] = {}

    @contextlib.asynccontextmanager
    async def _writing(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """One write transaction; `urgent` ones (the inbox) go first on SQLite."""
        if self._writers is None:
            async with self._sessions.begin() as session:
                yield session
            return
        async with self._writers.turn(urgent=urgent), self._sessions.begin() as session:
            yield session

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(create_engine(url))

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    # inbox -----------------------------------------------------------------

    async def accept(self, message: IncomingMessage, *, in_context: bool) -> Accepted:
        async with self._writing(urgent=True) as session:
            existing = await self._find_incoming(session, message)
            if existing is not None:
                return Accepted(id=existing, duplicate=True)
            user_key = (message.platform.value, message.user_id, message.user_name)
            user_id = self._user_ids.get(user_key)
            if user_id is None:
                user = await self._user(
                    session, message.platform, message.user_id, message.user_name
                )
                user_id = self._user_ids[user_key] = user.id
            conversation = await self._conversation(
                session, message.platform, message.chat_id, message.is_group
            )
            values = {
                "conversation_id": conversation,
                "user_id": user_id,
                "platform": message.platform.value,
                "chat_id": message.chat_id,
                "direction": Direction.IN.value,
                "kind": message.kind.value,
                "text": message.text,
                "state": State.RECEIVED.value,
                "platform_message_id": message.message_id,
                "reply_to_platform_id": message.reply_to_id,
                "reply_to_text": message.reply_to_text,
                "media": _media_json(message.media),
                "in_context": in_context,
                "error": message.unsupported_type,
                "created_at": message.timestamp,
            }
            try:
                inserted = await (await session.connection()).execute(_INSERT_MESSAGE, values)
            except IntegrityError:  # a concurrent redelivery won the race
                await session.rollback()
                self._user_ids.clear()
                found = await self._find_incoming(session, message)
                return Accepted(id=found, duplicate=True)
            key = inserted.inserted_primary_key
            assert key is not None
            return Accepted(id=int(key[0]))

    async def _find_incoming(self, session: AsyncSession, message: IncomingMessage) -> int | None:
        return await session.scalar(
            _INCOMING_ID,
            {"p_platform": message.platform.value, "p_chat": message.chat_id,
             "p_message": message.message_id},
        )  # fmt: skip

    async def _user(
        self, session: AsyncSession, platform: Platform, user_id: str, name: str | None = None
    ) -> User:
        user = await session.scalar(
            select(User).where(User.platform == platform.value, User.platform_user_id == user_id)
        )
        if user is None:
            user = User(platform=platform.value, platform_user_id=user_id, name=name)
            session.add(user)
            await session.flush()
        user.last_seen_at = utcnow()
        if name and user.name != name:
            user.name = name
        return user

    async def _conversation(
        self, session: AsyncSession, platform: Platform, chat_id: str, is_group: bool = False
    ) -> int:
        current = await session.scalar(
            _CURRENT_CONVERSATION, {"p_platform": platform.value, "p_chat": chat_id}
        )
        if current is not None:
            return int(current)
        row = Conversation(platform=platform.value, chat_id=chat_id, is_group=is_group)
        session.add(row)
        await session.flush()
        return row.id

    async def get(self, message_id: int) -> StoredMessage | None:
        async with self._sessions() as session:
            return await self._stored(session, message_id)

    async def _stored(self, session: AsyncSession, message_id: int) -> StoredMessage | None:
        rows = (await session.execute(_MESSAGE_BY_ID, {"p_id": message_id})).all()
        found = await self._many(session, [(row, user) for row, user in rows])
        return found[0] if found else None

    async def _many_by(self, session: AsyncSession, *where: Any) -> list[StoredMessage]:
        rows = (
            await session.execute(
                select(Message, User.platform_user_id)
                .outerjoin(User, User.id == Message.user_id)
                .where(*where)
                .order_by(Message.id)
            )
        ).all()
        return await self._many(session, [(row, user) for row, user in rows])

    async def _many(
        self, session: AsyncSession, rows: Sequence[tuple[Message, str | None]]
    ) -> list[StoredMessage]:
        """Build StoredMessages with one extra query for all their blobs (never their bytes).
        Only replies have blobs (see `add_reply`), so a batch of incoming messages needs none."""
        ids = [row.id for row, _ in rows if row.direction == Direction.OUT.value]
        blobs: dict[tuple[int, str], float | None] = {}
        if ids:
            found = await session.execute(_BLOBS_OF, {"p_ids": ids})
            blobs = {(mid, role): duration for mid, role, duration in found.all()}
        return [_to_stored(row, user or "", blobs) for row, user in rows]

    async def set_state(self, message_id: int, state: State, error: str | None = None) -> None:
        async with self._writing() as session:
            conn = await session.connection()
            params = {"p_id": message_id, "p_state": state.value}
            if error is not None or state is State.FAILED:
                await conn.execute(_SET_STATE_AND_ERROR, {**params, "p_error": error})
            else:
                await conn.execute(_SET_STATE, params)

    async def set_understanding(
        self,
        message_id: int,
        *,
        transcript: str | None = None,
        caption: str | None = None,
        language: str | None = None,
    ) -> None:
        values = {
            key: value
            for key, value in (
                ("transcript", transcript),
                ("caption", caption),
                ("language", language),
            )
            if value is not None
        }
        if not values:
            return
        async with self._writing() as session:
            await session.execute(update(Message).where(Message.id == message_id).values(**values))

    async def unanswered(self) -> list[StoredMessage]:
        async with self._sessions() as session:
            return await self._many_by(
                session,
                Message.direction == Direction.IN.value,
                Message.state.in_([State.RECEIVED.value, State.WORKING.value]),
            )

    # outbox ----------------------------------------------------------------

    async def add_reply(self, answer_to: int, reply: Reply, *, in_context: bool) -> int:
        # Core statements rather than ORM objects: this runs once per answer.
        async with self._writing() as session:
            conn = await session.connection()
            incoming = (await conn.execute(_ANSWERED_IN, {"p_id": answer_to})).first()
            if incoming is None:
                raise LookupError(f"message {answer_to} is gone")
            inserted = await conn.execute(
                _INSERT_MESSAGE,
                {
                    "conversation_id": incoming.conversation_id,
                    "user_id": None,
                    "platform": incoming.platform,
                    "chat_id": incoming.chat_id,
                    "direction": Direction.OUT.value,
                    "kind": (ContentKind.VOICE if reply.voice else ContentKind.TEXT).value,
                    "text": reply.text,
                    "state": State.ANSWERED.value,
                    "reply_to_platform_id": reply.reply_to_id,
                    "answer_to": answer_to,
                    "in_context": in_context,
                    "choices": [{"label": c.label, "command": c.command} for c in reply.choices]
                    or None,
                    "feedback": 0 if reply.feedback else None,
                },
            )
            key = inserted.inserted_primary_key
            assert key is not None
            reply_id = int(key[0])
            if reply.voice is not None:
                session.add(
                    Blob(
                        message_id=reply_id,
                        role="voice",
                        mime_type=reply.voice.mime_type,
                        duration=reply.voice.duration,
                        data=reply.voice.data,
                    )
                )
            if reply.attachment is not None:
                session.add(
                    Blob(
                        message_id=reply_id,
                        role="attachment",
                        mime_type=reply.attachment.mime_type,
                        file_name=reply.attachment.file_name,
                        data=reply.attachment.data,
                    )
                )
            await conn.execute(_SET_STATE, {"p_id": answer_to, "p_state": State.ANSWERED.value})
            return reply_id

    async def undelivered(self, *, due_before: datetime | None = None) -> list[StoredMessage]:
        where = [Message.direction == Direction.OUT.value, Message.state == State.ANSWERED.value]
        if due_before is not None:  # only those whose retry has come due
            where += [Message.retry_at.is_not(None), Message.retry_at <= due_before]
        async with self._sessions() as session:
            return await self._many_by(session, *where)

    async def load_reply(self, message_id: int) -> tuple[StoredMessage, Reply] | None:
        async with self._sessions() as session:
            found = (
                await session.execute(select(Message).where(Message.id == message_id))
            ).scalar_one_or_none()
            if found is None:
                return None
            blobs = {
                blob.role: blob
                for blob in await session.scalars(select(Blob).where(Blob.message_id == message_id))
            }
            row = _to_stored(found, "", {(message_id, r): b.duration for r, b in blobs.items()})
            voice, attachment = blobs.get("voice"), blobs.get("attachment")
            return row, Reply(
                text=row.text or "",
                voice=VoiceAudio(
                    data=voice.data, duration=voice.duration or 0.0, mime_type=voice.mime_type
                )
                if voice
                else None,
                attachment=Attachment(
                    file_name=attachment.file_name or "file",
                    data=attachment.data,
                    mime_type=attachment.mime_type,
                )
                if attachment
                else None,
                reply_to_id=row.reply_to_platform_id,
                choices=row.choices,
                feedback=row.feedback is not None,
            )

    async def mark_delivered(self, message_id: int, platform_ids: list[str]) -> None:
        # Core statements rather than ORM objects: this runs once per answer.
        async with self._writing() as session:
            conn = await session.connection()
            row = (await conn.execute(_REPLY_OF, {"p_id": message_id})).first()
            if row is None:
                return
            sent = platform_ids[0] if platform_ids else None
            await conn.execute(_DELIVERED, {"p_id": message_id, "p_sent": sent})
            if platform_ids:
                await conn.execute(
                    _INSERT_DELIVERY,
                    [
                        {"message_id": message_id, "platform": row.platform,
                         "platform_message_id": pid}
                        for pid in platform_ids
                    ],
                )  # fmt: skip
            if row.answer_to is not None:
                await conn.execute(
                    _SET_STATE, {"p_id": row.answer_to, "p_state": State.DELIVERED.value}
                )

    async def mark_delivery_failed(
        self, message_id: int, reason: str, *, permanent: bool, retry_at: datetime | None
    ) -> None:
        async with self._writing() as session:
            row = await session.get(Message, message_id)
            if row is None:
                return
            row.error = reason
            row.attempts += 1
            row.retry_at = retry_at
            if permanent:
                row.state = State.FAILED.value
                if row.answer_to is not None:
                    await session.execute(
                        update(Message)
                        .where(Message.id == row.answer_to)
                        .values(state=State.FAILED.value, error=reason)
                    )

    # history ---------------------------------------------------------------

    async def context(self, message: StoredMessage) -> list[StoredMessage]:
        """The latest turns of the conversation up to `message`, oldest first (words only:
        voice and attachment flags are not looked up)."""
        async with self._sessions() as session:
            found = await session.execute(
                _CONTEXT, {"p_conversation": message.conversation_id, "p_id": message.id}
            )
            rows = [(row, user) for row, user in found.all()]
            # a reply sits right after the message it answers, even if stored later
            rows.sort(key=lambda pair: (pair[0].answer_to or pair[0].id, pair[0].direction,
                                        pair[0].id))
            return [_to_stored(row, user or "", {}) for row, user in rows]

    async def conversation_messages(
        self, platform: Platform, chat_id: str, *, after_id: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        async with self._sessions() as session:
            query = (
                select(Message, User.platform_user_id)
                .outerjoin(User, User.id == Message.user_id)
                .where(
                    Message.platform == platform.value,
                    Message.chat_id == chat_id,
                    Message.id > after_id,
                )
                .order_by(Message.id.desc() if limit else Message.id)
            )
            if limit:
                query = query.limit(limit)
            rows = [(row, user) for row, user in (await session.execute(query)).all()]
            if limit:
                rows.reverse()
            return await self._many(session, rows)

    async def new_conversation(self, platform: Platform, chat_id: str) -> None:
        async with self._writing() as session:
            session.add(Conversation(platform=platform.value, chat_id=chat_id))

    async def voice_of(self, message_id: int) -> bytes | None:
        async with self._sessions() as session:
            blob = await session.get(Blob, (message_id, "voice"))
            return blob.data if blob else None

    async def attachment_of(self, message_id: int) -> tuple[str, str, bytes] | None:
        async with self._sessions() as session:
            blob = await session.get(Blob, (message_id, "attachment"))
            return (blob.file_name or "file", blob.mime_type, blob.data) if blob else None

    async def forget(
        self, platform: Platform, chat_id: str, user_id: str, *, keep_id: int | None = None
    ) -> int:
        """Delete the user's messages and settings, and the chat's history when it is theirs."""
        self._user_ids.clear()
        async with self._writing() as session:
            keep = Message.id != keep_id if keep_id is not None else true()
            user = await session.scalar(
                select(User).where(User.platform == platform.value,
                                   User.platform_user_id == user_id)
            )
            group = await session.scalar(
                select(func.max(Conversation.is_group)).where(
                    Conversation.platform == platform.value, Conversation.chat_id == chat_id
                )
            )
            owned = Message.user_id == (user.id if user is not None else -1)
            if not group:
                owned = or_(
                    owned, and_(Message.platform == platform.value, Message.chat_id == chat_id)
                )
            counted = select(func.count()).select_from(Message).where(owned, keep)
            deleted = int(await session.scalar(counted) or 0)
            # replies go with the messages they answer (ON DELETE CASCADE)
            await session.execute(delete(Message).where(owned, keep))
            if user is not None:
                if keep_id is None:
                    await session.delete(user)
                else:
                    user.name = user.voice = user.language = None
                    user.reply_mode, user.speed = "auto", 1.0
            return deleted

    # users -----------------------------------------------------------------

    async def user_settings(self, platform: Platform, user_id: str) -> UserSettings:
        async with self._sessions() as session:
            user = await session.scalar(_USER, {"p_platform": platform.value, "p_user": user_id})
            if user is None:
                return UserSettings()
            return UserSettings(
                voice=user.voice,
                reply_mode=user.reply_mode or "auto",
                language=user.language,
                speed=user.speed or 1.0,
            )

    async def update_user_settings(
        self, platform: Platform, user_id: str, **changes: object
    ) -> None:
        allowed = {"voice", "reply_mode", "language", "speed"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        async with self._writing() as session:
            user = await self._user(session, platform, user_id)
            for key, value in changes.items():
                setattr(user, key, value)

    # platform reports ------------------------------------------------------

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        async with self._writing() as session:
            delivery = await session.scalar(
                select(Delivery).where(
                    Delivery.platform == platform.value,
                    Delivery.platform_message_id == platform_message_id,
                )
            )
            if delivery is None:
                return
            delivery.status = status
            delivery.error = error
            if status == "failed":
                await session.execute(
                    update(Message)
                    .where(Message.id == delivery.message_id)
                    .values(state=State.FAILED.value, error=error or "failed")
                )

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        async with self._writing() as session:
            message_id = await session.scalar(
                select(Delivery.message_id)
                .join(Message, Message.id == Delivery.message_id)
                .where(
                    Delivery.platform == platform.value,
                    Delivery.platform_message_id == platform_message_id,
                    Message.chat_id == chat_id,
                )
            )
            if message_id is None:
                return False
            await session.execute(
                update(Message).where(Message.id == message_id).values(feedback=value)
            )
            return True

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        async with self._sessions() as session:
            moment = await session.scalar(
                select(func.max(Message.created_at)).where(
                    Message.platform == platform.value,
                    Message.chat_id == chat_id,
                    Message.direction == Direction.IN.value,
                )
            )
            return _aware(moment)
