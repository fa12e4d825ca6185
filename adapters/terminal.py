"""The terminal chat (`omnivox chat`): the same pipeline, read from stdin, printed to stdout.

Voice replies and exported files are written to a folder of the data directory for the
person at the keyboard to open; `/forget` deletes them with the rest. The files users
send are their own and are read where they lie, never copied or deleted.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from adapters.base import BaseAdapter
from bot.errors import MediaTooLarge, UnreadableMedia
from bot.models import (
    Attachment,
    Choice,
    ContentKind,
    IncomingMessage,
    MediaRef,
    Platform,
    VoiceAudio,
)
from bot.parts import UNRECORDED
from bot.ports.channels import PartLog

CHAT_ID = "terminal"


class TerminalAdapter(BaseAdapter):
    """Media are local files: `file_id` is their path. Voice replies are saved beside the data."""

    platform = Platform.CLI

    def __init__(self, out_dir: Path, max_bytes: int, write: Callable[[str], None] = print) -> None:
        self.out_dir = out_dir
        self.max_bytes = max_bytes
        self.write = write
        self._counter = itertools.count(1)

    async def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def parse(self, line: str, message_id: str) -> IncomingMessage | str:
        """A typed line → a message, or a one-line complaint about it."""
        command, _, rest = line.strip().partition(" ")
        if command in ("/voicefile", "/photo"):
            path_text, _, caption = rest.strip().partition(" ")
            path = Path(path_text).expanduser()
            if not path_text or not path.is_file():
                return f"No such file: {path_text or '(none given)'}"
            kind = ContentKind.VOICE if command == "/voicefile" else ContentKind.PHOTO
            media = MediaRef(
                file_id=str(path),
                mime_type=mimetypes.guess_type(path.name)[0],
                size=path.stat().st_size,
                file_name=path.name,
            )
            return self._message(message_id, kind, caption or None, media)
        return self._message(message_id, ContentKind.TEXT, line, None)

    def _message(
        self, message_id: str, kind: ContentKind, text: str | None, media: MediaRef | None
    ) -> IncomingMessage:
        return IncomingMessage(
            platform=Platform.CLI, message_id=message_id, chat_id=CHAT_ID, user_id=CHAT_ID,
            kind=kind, text=text, media=media,
        )

    async def download(self, media: MediaRef) -> bytes:
        path = Path(media.file_id)
        size = await asyncio.to_thread(lambda: path.stat().st_size if path.exists() else -1)
        if size < 0:
            raise UnreadableMedia(f"The file {path.name} is gone.")
        if size > self.max_bytes:
            raise MediaTooLarge(self.max_bytes // (1024 * 1024), size)
        return await asyncio.to_thread(path.read_bytes)

    def _ids(self) -> list[str]:
        return [f"cli-{next(self._counter)}"]

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
        if (shown := parts.sent(0)) is not None:
            return [shown]
        self.write(f"omnivox> {text}")
        for choice in choices:
            self.write(f"          [{choice.label}] {choice.command}")
        return await self._recorded(parts)

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
        if (shown := parts.sent(0)) is not None:
            return [shown]
        ids = self._ids()
        target = self.out_dir / f"reply-{ids[0]}.ogg"
        await asyncio.to_thread(target.write_bytes, voice.data)
        self.write(f"omnivox> {text}\n          (voice note, {voice.duration:.1f} s: {target})")
        await parts.record(0, ids[0])
        return ids

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        if (shown := parts.sent(0)) is not None:
            return [shown]
        target = self.out_dir / attachment.file_name
        await asyncio.to_thread(target.write_bytes, attachment.data)
        self.write(f"          (file saved: {target})")
        return await self._recorded(parts)

    async def _recorded(self, parts: PartLog) -> list[str]:
        ids = self._ids()
        await parts.record(0, ids[0])
        return ids

    async def forget_chat(self, chat_id: str) -> None:
        """The voice replies and files written for the chat go with its history."""
        await asyncio.to_thread(shutil.rmtree, self.out_dir, True)
        await asyncio.to_thread(self.out_dir.mkdir, parents=True, exist_ok=True)
