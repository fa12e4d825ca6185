"""The durable store the core uses, as small repositories that each do one job.

`storage.SqlStore` implements `Store`; each of its attributes implements one port below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.models import (
    Attachment,
    Choice,
    ContentKind,
    IncomingMessage,
    MediaRef,
    Platform,
    Reply,
    ReplyEvent,
)


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
    event: ReplyEvent | None = None

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Forgotten:
    """What a forget deleted: how many messages, and the media they pointed at."""

    messages: int
    media: tuple[tuple[Platform, MediaRef], ...] = ()


class Inbox(Protocol):
    """Incoming messages and their states."""

    async def accept(
        self,
        message: IncomingMessage,
        *,
        in_context: bool,
        admit: Callable[[], bool] | None = None,
    ) -> Accepted:
        """Insert once per (platform, chat, message id); a redelivery is a duplicate.
        `admit` is asked about new messages only (never a redelivery); when it says no,
        nothing is stored and the result is `refused`."""
        ...

    async def get(self, message_id: int) -> StoredMessage | None: ...

    async def set_state(self, message_id: int, state: State, error: str | None = None) -> None: ...

    async def record_understanding(
        self,
        message_id: int,
        *,
        transcript: str | None = None,
        caption: str | None = None,
        language: str | None = None,
    ) -> None:
        """What the message was understood to say (kept; its raw media is not)."""
        ...

    async def unanswered(self) -> list[StoredMessage]: ...


class Outbox(Protocol):
    """Replies and their deliveries."""

    async def add_reply(self, answer_to: int, reply: Reply, *, in_context: bool) -> int:
        """Store the answer to `answer_to`; LookupError when that message is gone."""
        ...

    async def undelivered(self, *, due_before: datetime | None = None) -> list[StoredMessage]: ...

    async def load_reply(self, message_id: int) -> tuple[StoredMessage, Reply] | None:
        """A stored reply and what to send for it; None when it is gone."""
        ...

    async def mark_delivered(self, message_id: int, platform_ids: list[str]) -> None: ...

    async def mark_delivery_failed(
        self, message_id: int, reason: str, *, permanent: bool, retry_at: datetime | None
    ) -> None: ...

    async def attempts(self, message_id: int) -> int:
        """How many deliveries of this reply have failed so far."""
        ...

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        """A platform's report on something we sent (sent/delivered/read/failed)."""
        ...


class History(Protocol):
    """Conversations as they are read back: the model's context and what people see."""

    async def context(self, message: StoredMessage) -> list[StoredMessage]:
        """The turns of `message`'s conversation up to it, newest last."""
        ...

    async def messages(
        self, platform: Platform, chat_id: str, *, after_id: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        """Every message of the chat, oldest first (only the newest `limit` when given)."""
        ...

    async def voice(self, message_id: int) -> bytes | None: ...

    async def attachment(self, message_id: int) -> Attachment | None: ...

    async def new_conversation(self, platform: Platform, chat_id: str) -> None: ...

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        """👍 (+1) / 👎 (-1) on one of our replies; False when the reply is unknown."""
        ...

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None: ...


class Users(Protocol):
    """People and their settings."""

    async def settings(self, platform: Platform, user_id: str) -> UserSettings: ...

    async def update(self, platform: Platform, user_id: str, **changes: object) -> None: ...


class Privacy(Protocol):
    """What a user may see of what is stored about them, and its deletion."""

    async def export(self, platform: Platform, chat_id: str) -> list[StoredMessage]:
        """Everything stored of the chat, oldest first."""
        ...

    async def forget(
        self, platform: Platform, chat_id: str, user_id: str, *, keep_id: int | None = None
    ) -> Forgotten:
        """Delete the user's messages and settings; `keep_id` (the request itself) stays
        so its confirmation can be stored and delivered like any reply."""
        ...


class Store(Protocol):
    """The repositories, sharing one database."""

    @property
    def inbox(self) -> Inbox: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def history(self) -> History: ...

    @property
    def users(self) -> Users: ...

    @property
    def privacy(self) -> Privacy: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
