"""The one message model every channel is normalised into, and the reply it gets back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Platform(StrEnum):
    WEB = "web"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    CLI = "cli"


class ContentKind(StrEnum):
    TEXT = "text"
    VOICE = "voice"
    AUDIO = "audio"
    PHOTO = "photo"
    UNSUPPORTED = "unsupported"


class Activity(StrEnum):
    """What the user sees while we work; each channel shows it its own way."""

    TYPING = "typing"
    RECORDING = "recording"


class ReplyEvent(StrEnum):
    """Something a reply did that a channel may show beyond its text."""

    HISTORY_DELETED = "history_deleted"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaRef:
    """A pointer to media held by the platform (or, for web/CLI, an upload key)."""

    file_id: str
    mime_type: str | None = None
    size: int | None = None
    duration: float | None = None
    file_name: str | None = None


def _no_raw() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMessage:
    """A user's message, whatever channel it came from.

    `raw` keeps the platform payload for debugging; the core never reads it.
    `unsupported_type` names what the platform sent when `kind` is unsupported.
    """

    platform: Platform
    message_id: str
    chat_id: str
    user_id: str
    kind: ContentKind
    user_name: str | None = None
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    text: str | None = None
    media: MediaRef | None = None
    reply_to_id: str | None = None
    reply_to_text: str | None = None
    locale: str | None = None
    is_group: bool = False
    addressed: bool = True  # False: a group voice note, answered only if it names the bot
    unsupported_type: str | None = None
    raw: Mapping[str, Any] = field(default_factory=_no_raw, repr=False, compare=False)

    @property
    def chat_key(self) -> str:
        """One key per conversation stream, unique across platforms."""
        return f"{self.platform.value}:{self.chat_id}"

    @property
    def user_key(self) -> str:
        return f"{self.platform.value}:{self.user_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceAudio:
    """An encoded voice note (OGG/Opus unless said otherwise)."""

    data: bytes
    duration: float
    mime_type: str = "audio/ogg"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file sent with a reply, e.g. the Markdown export of a conversation."""

    file_name: str
    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """A button the channel may render (inline keyboard, list); its value is a command."""

    label: str
    command: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """What we answer. `text` is always present: for a voice reply it is the transcript.

    A reply quotes the message it answers; the outbox records which, so it is not here.
    """

    text: str
    voice: VoiceAudio | None = None
    attachment: Attachment | None = None
    choices: tuple[Choice, ...] = ()
    feedback: bool = False
    event: ReplyEvent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatTurn:
    """One turn of the conversation as the language model sees it."""

    role: str  # "system" | "user" | "assistant"
    text: str
    images: tuple[bytes, ...] = ()  # upright JPEGs, at most 1024 px a side (bot.images)
