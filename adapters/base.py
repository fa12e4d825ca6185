"""The adapter contract every channel implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.models import Activity, Attachment, Choice, MediaRef, Platform, VoiceAudio


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
    """

    platform: Platform

    def routes(self) -> Sequence[web.AbstractRouteDef]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def download(self, media: MediaRef) -> bytes: ...

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
