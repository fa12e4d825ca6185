"""A base for channels: every optional part of `bot.ports.channels.Adapter` as a no-op."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.errors import UnreadableMedia
from bot.models import Activity, Attachment, MediaRef, Platform
from bot.parts import UNRECORDED
from bot.ports.channels import PartLog, ProgressLine, ReplyStream


class BaseAdapter:
    """Subclasses set `platform` and implement `send_text` and `send_voice`; the rest
    defaults to what a channel without that feature does."""

    platform: Platform
    confirmation_hold: float = 0.0  # a forget's confirmation goes once it is sent

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def download(self, media: MediaRef) -> bytes:
        raise UnreadableMedia("This channel does not carry files.", f"no media on {media}")

    async def release(self, media: MediaRef) -> None:
        return None  # nothing of the media is held here

    async def forget_chat(self, chat_id: str) -> None:
        return None  # nothing of the chat is kept outside the store

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} cannot send files")

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        return None  # no typing or recording indicator on this channel

    def open_stream(self, chat_id: str, reply_to_id: str | None) -> ReplyStream | None:
        return None  # replies are shown whole

    def open_progress(self, chat_id: str, reply_to_id: str | None) -> ProgressLine | None:
        return None  # no progress shown on this channel
