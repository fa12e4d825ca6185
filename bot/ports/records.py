"""What the store hands the core: a message as stored, its state, a user's settings, and
the results of accepting, sending parts and forgetting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.models import (
    Choice,
    ContentKind,
    MediaRef,
    Platform,
    ReplyEvent,
)


class State(StrEnum):
    """Life of a message: received → working → answered → delivered | failed.

    A reply a channel may not send now (WhatsApp's 24-hour window closed) waits in
    `waiting` until the user writes again, then is answered → delivered as any other."""

    RECEIVED = "received"
    WORKING = "working"
    ANSWERED = "answered"
    DELIVERED = "delivered"
    FAILED = "failed"
    WAITING = "waiting"


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
    def is_unaddressed(self) -> bool:
        """A group voice note let through before it was heard: it is answered only if it
        calls the bot by name. Such notes are stored out of the context (`in_context`)."""
        return self.kind in (ContentKind.VOICE, ContentKind.AUDIO) and not self.in_context

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
class SentPart:
    """One part of a reply on record: its platform id, or, while a send that ended
    without a clear answer awaits the platform's report, None and since when."""

    platform_id: str | None
    unclear_since: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A person as stored: the name the platform gave, their settings, since when."""

    name: str | None
    settings: UserSettings
    first_seen: datetime
    last_seen: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Closing:
    """A forget's confirmation, settled at `settled_at`, whose traces are still stored."""

    platform: Platform
    chat_id: str
    reply_id: int
    settled_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Forgotten:
    """What a forget deleted: how many messages, and the media they pointed at."""

    messages: int
    media: tuple[tuple[Platform, MediaRef], ...] = ()
