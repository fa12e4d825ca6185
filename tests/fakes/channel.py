"""A recording channel for core tests: remembers what was sent, can be told to fail."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.base import BaseAdapter
from bot.errors import DeliveryError, UnreadableMedia
from bot.models import Activity, Attachment, Choice, MediaRef, Platform, VoiceAudio
from bot.parts import UNRECORDED
from bot.ports.channels import PartLog


@dataclass
class Sent:
    chat_id: str
    kind: str  # text | voice | attachment
    text: str
    reply_to_id: str | None = None
    choices: tuple[Choice, ...] = ()
    voice: VoiceAudio | None = None
    attachment: Attachment | None = None


@dataclass
class RecordingChannel(BaseAdapter):
    platform: Platform = Platform.CLI
    confirmation_hold: float = 0.0
    files: dict[str, bytes] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    activities: list[tuple[str, Activity]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    failures_for: dict[str, list[DeliveryError]] = field(default_factory=dict)  # by kind
    released: list[MediaRef] = field(default_factory=list)
    _counter: int = 0

    async def download(self, media: MediaRef) -> bytes:
        if media.file_id not in self.files:
            raise UnreadableMedia("That file is gone.")
        return self.files[media.file_id]

    async def release(self, media: MediaRef) -> None:
        self.released.append(media)

    async def _next(self, parts: PartLog, kind: str) -> list[str]:
        """One platform message per send, recorded as part 0 (a retry skips it)."""
        if self.failures:
            raise self.failures.pop(0)
        if self.failures_for.get(kind):
            raise self.failures_for[kind].pop(0)
        self._counter += 1
        await parts.record(0, f"sent-{self._counter}")
        return [f"sent-{self._counter}"]

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        choices: Sequence[Choice] = (),
        feedback_for: int | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        if (sent := parts.sent(0)) is not None:
            return [sent]
        ids = await self._next(parts, "text")
        self.sent.append(Sent(chat_id, "text", text, reply_to_id, tuple(choices)))
        return ids

    async def send_voice(
        self,
        chat_id: str,
        voice: VoiceAudio,
        *,
        text: str,
        reply_to_id: str | None = None,
        feedback_for: int | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        if (sent := parts.sent(0)) is not None:
            return [sent]
        ids = await self._next(parts, "voice")
        self.sent.append(Sent(chat_id, "voice", text, reply_to_id, voice=voice))
        return ids

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        if (sent := parts.sent(0)) is not None:
            return [sent]
        ids = await self._next(parts, "attachment")
        self.sent.append(Sent(chat_id, "attachment", "", reply_to_id, attachment=attachment))
        return ids

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        self.activities.append((chat_id, activity))

    async def wait_for(self, count: int, within: float = 10.0) -> list[Sent]:
        async with asyncio.timeout(within):
            while len(self.sent) < count:
                await asyncio.sleep(0.01)
        return self.sent
