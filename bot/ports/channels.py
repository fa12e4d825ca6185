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

# A report that a message we sent did not go because the platform now allows it only
# once the user writes again (WhatsApp's 131047): `MessageSink.record_status` status.
WAITS_FOR_USER = "waits_for_user"


class PartLog(Protocol):
    """What was sent of one reply, part by part: a channel that sends a reply as several
    platform messages numbers them from 0 in the order it sends them, skips a part that
    `sent` knows, and records each part once it is sent, so that a retry after a partial
    failure sends only what is missing. `within(n)` is the same log numbered from n.
    """

    def sent(self, index: int) -> str | None:
        """The platform id of that part, when it was sent."""
        ...

    def unclear_since(self, index: int) -> datetime | None:
        """When a send of that part ended without a clear answer (a timeout after the
        request went out), while no report from the platform has settled it."""
        ...

    def tag(self, index: int) -> str:
        """An id of ours for that part, for platforms that echo it in their reports."""
        ...

    async def record(self, index: int, platform_id: str) -> None: ...

    async def unclear(self, index: int) -> str | None:
        """The platform may or may not have taken that part; returns its platform id if
        a report has already settled it."""
        ...

    async def not_sent(self, index: int) -> None:
        """The platform refused that part (a clear answer): it was not sent, whatever
        was on record of an unclear send."""
        ...

    def within(self, first: int) -> PartLog: ...


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
class ProgressLine(Protocol):
    """Progress of slow work on a message (a long recording being transcribed), shown the
    way the channel can: an edited message, a line in the page, a status text."""

    async def update(self, text: str, fraction: float) -> None:
        """`text` says what is happening ("transcribing… 40 %"); `fraction` is 0..1."""
        ...

    async def close(self) -> None:
        """The work is done (or failed): remove or settle the line."""
        ...


@runtime_checkable
class Adapter(Protocol):
    """A channel. Send methods return the platform's ids for what they sent, and keep
    `parts` (default: nothing recorded) up to date as each part goes out.

    They raise `bot.errors.DeliveryError` on failure (with `permanent=True` when
    retrying cannot help, `waits_for_user=True` when the platform allows it only once
    the user writes again). `download` raises `MediaTooLarge` / `UnreadableMedia`.
    `adapters.base.BaseAdapter` gives the optional methods their no-op defaults.
    `confirmation_hold` is how many seconds a forget's confirmation stays stored for
    the channel to show it (0: it goes once sent; the web page reads it back first).
    """

    platform: Platform
    confirmation_hold: float

    def routes(self) -> Sequence[web.AbstractRouteDef]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def download(self, media: MediaRef) -> bytes: ...

    async def release(self, media: MediaRef) -> None:
        """Delete what this channel holds of the media (an upload, a download) once it
        is understood or forgotten; the core calls it unless raw media is to be kept."""

    async def forget_chat(self, chat_id: str) -> None:
        """Delete whatever else the channel keeps of a chat (files it wrote for it)."""

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        choices: Sequence[Choice] = (),
        feedback_for: int | None = None,
        parts: PartLog = ...,
    ) -> list[str]: ...

    async def send_voice(
        self,
        chat_id: str,
        voice: VoiceAudio,
        *,
        text: str,
        reply_to_id: str | None = None,
        feedback_for: int | None = None,
        parts: PartLog = ...,
    ) -> list[str]: ...

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = ...,
    ) -> list[str]: ...

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        """Typing / recording indicator; a no-op where the platform has none."""

    def open_stream(self, chat_id: str, reply_to_id: str | None) -> ReplyStream | None:
        """A stream for a reply shown while generated, or None where not supported."""
        ...

    def open_progress(self, chat_id: str, reply_to_id: str | None) -> ProgressLine | None:
        """A progress line for slow work on the message `reply_to_id`, or None."""
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
        self,
        platform: Platform,
        platform_message_id: str,
        status: str,
        error: str | None,
        *,
        tag: str | None = None,
    ) -> None:
        """A platform's delivery report for something we sent (sent/delivered/read/failed);
        `tag` is the `PartLog.tag` the platform echoed back, when it does."""
        ...

    async def shown(self, platform: Platform, chat_id: str, message_id: int) -> None:
        """The channel has shown the user this stored reply (the web page read it)."""
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
