"""What the core needs from the outside (Store) and offers to adapters (MessageSink)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.models import Choice, ContentKind, IncomingMessage, MediaRef, Platform, Reply


class State(StrEnum):
    """Life of a message: received → working → answered → delivered | failed."""

    RECEIVED = "received"
    WORKING = "working"
    ANSWERED = "answered"
    DELIVERED = "delivered"
    FAILED = "failed"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """The outcome of accepting a message. Acknowledge the platform only after this."""

    id: int | None
    duplicate: bool = False
    refused: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMessage:
    id: int
    conversation_id: int
    platform: Platform
    chat_id: str
    user_id: str
    direction: Direction
    kind: ContentKind
    text: str | None
    transcript: str | None
    caption: str | None
    language: str | None
    state: State
    error: str | None
    platform_message_id: str | None
    reply_to_platform_id: str | None
    reply_to_text: str | None
    answer_to: int | None
    media: MediaRef | None
    has_voice: bool
    voice_duration: float | None
    has_attachment: bool
    choices: tuple[Choice, ...]
    in_context: bool
    feedback: int | None
    created_at: datetime
    attempts: int = 0

    @property
    def chat_key(self) -> str:
        return f"{self.platform.value}:{self.chat_id}"

    @property
    def turn_text(self) -> str:
        """The words this message contributes to the conversation."""
        if self.kind is ContentKind.PHOTO:
            seen = f"[I sent a photo. {self.caption}]" if self.caption else "[I sent a photo.]"
            return f"{seen}\n{self.text}" if self.text else seen
        words = self.transcript or self.text or ""
        if self.reply_to_text:
            return f'(Replying to: "{self.reply_to_text[:500]}")\n{words}'
        return words


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSettings:
    voice: str | None = None
    reply_mode: str = "auto"  # auto | text | voice
    language: str | None = None
    speed: float = 1.0


class MessageSink(Protocol):
    """What adapters call into the core."""

    async def accept(self, message: IncomingMessage) -> Accepted:
        """Store the message in the inbox (a redelivery is a no-op) and schedule it."""
        ...

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        """A platform's delivery report for something we sent (sent/delivered/read/failed)."""
        ...

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        """👍 (+1) / 👎 (-1) on one of our replies; False when the reply is unknown."""
        ...

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        """When this chat last wrote to us (WhatsApp's 24-hour window)."""
        ...


class Store(Protocol):
    """Durable inbox, outbox and history. `storage.sql.SqlStore` implements it."""

    async def ping(self) -> None: ...

    async def accept(self, message: IncomingMessage, *, in_context: bool) -> Accepted: ...

    async def get(self, message_id: int) -> StoredMessage | None: ...

    async def set_state(self, message_id: int, state: State, error: str | None = None) -> None: ...

    async def set_understanding(
        self,
        message_id: int,
        *,
        transcript: str | None = None,
        caption: str | None = None,
        language: str | None = None,
    ) -> None: ...

    async def unanswered(self) -> list[StoredMessage]: ...

    async def add_reply(self, answer_to: int, reply: Reply, *, in_context: bool) -> int: ...

    async def undelivered(self, *, due_before: datetime | None = None) -> list[StoredMessage]: ...

    async def load_reply(self, message_id: int) -> tuple[StoredMessage, Reply] | None:
        """A stored reply and what to send for it; None when it is gone."""
        ...

    async def mark_delivered(self, message_id: int, platform_ids: list[str]) -> None: ...

    async def mark_delivery_failed(
        self, message_id: int, reason: str, *, permanent: bool, retry_at: datetime | None
    ) -> None: ...

    async def context(self, message: StoredMessage) -> list[StoredMessage]: ...

    async def user_settings(self, platform: Platform, user_id: str) -> UserSettings: ...

    async def update_user_settings(
        self, platform: Platform, user_id: str, **changes: object
    ) -> None: ...

    async def new_conversation(self, platform: Platform, chat_id: str) -> None: ...

    async def conversation_messages(
        self, platform: Platform, chat_id: str, *, after_id: int = 0, limit: int | None = None
    ) -> list[StoredMessage]: ...

    async def voice_of(self, message_id: int) -> bytes | None: ...

    async def attachment_of(self, message_id: int) -> tuple[str, str, bytes] | None:
        """(file name, mime type, bytes) of a reply's attachment."""
        ...

    async def forget(
        self, platform: Platform, chat_id: str, user_id: str, *, keep_id: int | None = None
    ) -> int:
        """Delete the user's messages and settings; `keep_id` (the request itself) stays
        so its confirmation can be stored and delivered like any reply."""
        ...

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None: ...

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool: ...

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None: ...

    async def close(self) -> None: ...
