"""What a channel offers the core (Adapter, ReplyStream) and what the core offers it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.models import (
    Activity,
    Attachment,
    Choice,
    IncomingMessage,
    MediaRef,
    Platform,
    VoiceAudio,
)
from bot.ports.store import Accepted, StoredMessage


@runtime_checkable
class ReplyStream(Protocol):
    """A reply shown while it is generated (Telegram edits a message as text arrives)."""

    async def update(self, text: str) -> None: ...

    async def finish(self, text: str) -> list[str]:
        """Show the final text; return the platform ids of the messages that hold it."""
        ...

    async def abort(self) -> None:
        """Remove or close the partial message (generation cancelled or failed)."""
        ...


@runtime_checkable
class Adapter(Protocol):
    """A channel. Send methods return the platform's ids for what they sent.

    They raise `bot.errors.DeliveryError` on failure (with `permanent=True` when
    retrying cannot help). `download` raises `MediaTooLarge` / `UnreadableMedia`.
    `adapters.base.BaseAdapter` gives the optional methods their no-op defaults.
    """

    platform: Platform

    def routes(self) -> Sequence[web.AbstractRouteDef]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def download(self, media: MediaRef) -> bytes: ...

    async def release(self, media: MediaRef) -> None:
        """Delete what this channel holds of the media (an upload, a download) once it
        is understood or forgotten; the core calls it unless raw media is to be kept."""

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        choices: Sequence[Choice] = (),
        feedback_for: int | None = None,
    ) -> list[str]: ...

    async def send_voice(
        self,
        chat_id: str,
        voice: VoiceAudio,
        *,
        text: str,
        reply_to_id: str | None = None,
        feedback_for: int | None = None,
    ) -> list[str]: ...

    async def send_attachment(
        self, chat_id: str, attachment: Attachment, *, reply_to_id: str | None = None
    ) -> list[str]: ...

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        """Typing / recording indicator; a no-op where the platform has none."""

    def open_stream(self, chat_id: str, reply_to_id: str | None) -> ReplyStream | None:
        """A stream for a reply shown while generated, or None where not supported."""
        ...


class MessageSink(Protocol):
    """What adapters call into the core."""

    async def accept(self, message: IncomingMessage) -> Accepted:
        """Store the message in the inbox (a redelivery is a no-op) and schedule it."""
        ...

    async def reject(self, platform: Platform, raw: object, reason: str) -> None:
        """A delivery that cannot be handled (malformed): recorded as failed with its reason
        and raw body; the channel then acknowledges it, so the platform stops resending it."""
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


class ChatLog(Protocol):
    """What a channel that shows the conversation itself (the web chat) reads of it."""

    async def messages(
        self, platform: Platform, chat_id: str, *, after_id: int = 0, limit: int | None = None
    ) -> list[StoredMessage]: ...

    async def voice(self, message_id: int) -> bytes | None: ...

    async def attachment(self, message_id: int) -> Attachment | None: ...


class LastSeen(Protocol):
    """When a chat last wrote to us (a channel with a reply window needs it)."""

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None: ...
