"""Tables, as SQLAlchemy Core. Alembic owns the schema; a test checks the two agree."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


metadata = MetaData(naming_convention=NAMING)
TZ = DateTime(timezone=True)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(64), nullable=False),
    Column("name", String(200)),
    Column("voice", String(200)),
    Column("reply_mode", String(8), nullable=False, default="auto"),
    Column("language", String(16)),
    Column("speed", Float, nullable=False, default=1.0),
    Column("created_at", TZ, nullable=False, default=utcnow),
    Column("last_seen_at", TZ),
    Column("notified_at", TZ),  # when the first-contact notice went into a reply
    UniqueConstraint("platform", "platform_user_id"),
)
"""A person on one platform, with their settings."""

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("is_group", Boolean, nullable=False, default=False),
    Column("started_at", TZ, nullable=False, default=utcnow),
    Index("ix_conversations_chat", "platform", "chat_id", "id"),
)
"""A thread of turns in one chat; `/new` starts another."""

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "conversation_id",
        Integer,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text),
    Column("transcript", Text),
    Column("caption", Text),
    Column("language", String(16)),
    Column("state", String(16), nullable=False),
    Column("error", Text),
    Column("platform_message_id", String(128)),
    Column("reply_to_platform_id", String(128)),
    Column("reply_to_text", Text),
    Column("answer_to", Integer, ForeignKey("messages.id", ondelete="CASCADE"), index=True),
    Column("media", JSON),
    Column("in_context", Boolean, nullable=False, default=True),
    Column("feedback", Integer),
    Column("choices", JSON),
    Column("event", String(32)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("retry_at", TZ),
    # a reply being sent: by which process, until when (a dead process's claim runs out)
    Column("claimed_by", String(64)),
    Column("claimed_until", TZ),
    Column("created_at", TZ, nullable=False, default=utcnow),
    Column("updated_at", TZ, nullable=False, default=utcnow, onupdate=utcnow),
    # The inbox key: Telegram's message ids are unique per chat only.
    UniqueConstraint("platform", "chat_id", "direction", "platform_message_id"),
    Index("ix_messages_state", "state"),
    Index("ix_messages_conversation", "conversation_id", "id"),
    sqlite_autoincrement=True,  # ids never reused: pages poll with ?after=<id>
)
"""Inbox and outbox in one table: `direction` says which."""

blobs = Table(
    "blobs",
    metadata,
    Column(
        "message_id",
        Integer,
        ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(16), primary_key=True),  # voice | attachment
    Column("mime_type", String(64), nullable=False),
    Column("file_name", String(200)),
    Column("duration", Float),
    Column("data", LargeBinary, nullable=False),
)
"""What replies carry: voice notes (for `voice_url` and redelivery), attachments."""

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("platform_message_id", String(128), nullable=False),
    Column("status", String(16), nullable=False, default="sent"),
    Column("error", Text),
    Column("updated_at", TZ, nullable=False, default=utcnow, onupdate=utcnow),
    # which part of the reply (as its channel numbers them); None: recorded as a whole
    Column("part", Integer),
    Index("ix_deliveries_platform_id", "platform", "platform_message_id"),
    UniqueConstraint("message_id", "part"),
)
"""One platform message we sent for a reply, and what the platform said about it.
A part whose send ended without a clear answer has status `unclear` until a report
settles it."""
