"""Rows ↔ the core's values: the one place that knows both shapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import (
    Attachment,
    Choice,
    ContentKind,
    MediaRef,
    Platform,
    Reply,
    ReplyEvent,
    VoiceAudio,
)
from bot.ports.store import Direction, State, StoredMessage
from storage.schema import blobs, messages, users, utcnow

# A message with the platform id of its author (replies have none).
MESSAGE_ROWS = select(messages, users.c.platform_user_id).select_from(
    messages.outerjoin(users, users.c.id == messages.c.user_id)
)
_BLOB_FLAGS = select(blobs.c.message_id, blobs.c.role, blobs.c.duration).where(
    blobs.c.message_id.in_(bindparam("p_ids", expanding=True))
)

BlobFlags = dict[tuple[int, str], float | None]


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def media_json(media: MediaRef | None) -> dict[str, Any] | None:
    if media is None:
        return None
    return {
        "file_id": media.file_id,
        "mime_type": media.mime_type,
        "size": media.size,
        "duration": media.duration,
        "file_name": media.file_name,
    }


def media_ref(data: dict[str, Any] | None) -> MediaRef | None:
    return MediaRef(**data) if data else None


def choices_json(choices: Sequence[Choice]) -> list[dict[str, str]] | None:
    return [{"label": c.label, "command": c.command} for c in choices] or None


def stored(row: Row[Any], flags: BlobFlags) -> StoredMessage:
    """A `MESSAGE_ROWS` row as the core sees it; `flags` says which blobs it has."""
    return StoredMessage(
        id=row.id,
        conversation_id=row.conversation_id,
        platform=Platform(row.platform),
        chat_id=row.chat_id,
        user_id=row.platform_user_id or "",
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
        media=media_ref(row.media),
        has_voice=(row.id, "voice") in flags,
        voice_duration=flags.get((row.id, "voice")),
        has_attachment=(row.id, "attachment") in flags,
        choices=tuple(Choice(**c) for c in row.choices or ()),
        in_context=row.in_context,
        feedback=row.feedback,
        created_at=aware(row.created_at) or utcnow(),
        attempts=row.attempts or 0,
        event=ReplyEvent(row.event) if row.event else None,
    )


async def stored_many(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> list[StoredMessage]:
    """StoredMessages with one extra query for all their blob flags (never their bytes).
    Only replies have blobs, so a batch of incoming messages needs none."""
    ids = [row.id for row in rows if row.direction == Direction.OUT.value]
    flags: BlobFlags = {}
    if ids:
        found = await conn.execute(_BLOB_FLAGS, {"p_ids": ids})
        flags = {(mid, role): duration for mid, role, duration in found.all()}
    return [stored(row, flags) for row in rows]


def blob_rows(reply_id: int, reply: Reply) -> list[dict[str, Any]]:
    """The blobs a reply carries, as rows to insert."""
    rows: list[dict[str, Any]] = []
    if reply.voice is not None:
        rows.append({"message_id": reply_id, "role": "voice", "mime_type": reply.voice.mime_type,
                     "file_name": None, "duration": reply.voice.duration,
                     "data": reply.voice.data})  # fmt: skip
    if reply.attachment is not None:
        rows.append({"message_id": reply_id, "role": "attachment",
                     "mime_type": reply.attachment.mime_type,
                     "file_name": reply.attachment.file_name, "duration": None,
                     "data": reply.attachment.data})  # fmt: skip
    return rows


def reply_of(row: StoredMessage, found: dict[str, Row[Any]]) -> Reply:
    """What to send for a stored reply, from its row and its blobs by role."""
    voice, attachment = found.get("voice"), found.get("attachment")
    return Reply(
        text=row.text or "",
        voice=VoiceAudio(data=voice.data, duration=voice.duration or 0.0,
                         mime_type=voice.mime_type) if voice else None,
        attachment=attachment_of(attachment) if attachment else None,
        choices=row.choices,
        feedback=row.feedback is not None,
        event=row.event,
    )  # fmt: skip


def attachment_of(blob: Row[Any]) -> Attachment:
    return Attachment(
        file_name=blob.file_name or "file", data=blob.data, mime_type=blob.mime_type
    )
