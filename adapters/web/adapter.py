"""The web chat channel: serves the page and its JSON API; replies wait in the store.

The page reads the conversation back through the core's `ChatLog` port: delivery is the
store itself, so sending a reply only records it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from adapters.base import BaseAdapter
from adapters.web.form import read_form
from adapters.web.progress import WebProgress
from adapters.web.uploads import UploadStore
from bot.config import LimitSettings
from bot.errors import BadInput, MediaTooLarge
from bot.models import (
    Attachment,
    Choice,
    IncomingMessage,
    MediaRef,
    Platform,
    ReplyEvent,
    VoiceAudio,
)
from bot.parts import UNRECORDED
from bot.ports.channels import ChatLog, MessageSink, PartLog
from bot.ports.store import Direction, State, StoredMessage

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
# The one rule for web chat ids; the page asks the server for a new one (POST /api/chats).
CHAT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHAT_ID_RULE = "chat_id must be 1-64 letters, digits, _ or -"
# The store's ids are 32-bit integers (INTEGER on PostgreSQL): a larger one names nothing.
MAX_ID = 2**31 - 1
AFTER_RULE = f"after must be a message id (a whole number from 0 to {MAX_ID})."
CONFIRMATION_HOLD = 600.0


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _message_id(text: str) -> int | None:
    """A stored message's id, or None for anything that cannot be one."""
    try:
        number = int(text)
    except ValueError:
        return None
    return number if 0 <= number <= MAX_ID else None


class WebAdapter(BaseAdapter):
    """Delivery is the store itself: the page polls `GET .../messages`."""

    platform = Platform.WEB
    # a forget's confirmation stays until the page has read it (it then starts afresh),
    # or this long when no page comes back for it
    confirmation_hold = CONFIRMATION_HOLD

    def __init__(
        self, sink: MessageSink, log: ChatLog, *, limits: LimitSettings, uploads: Path
    ) -> None:
        self.limits = limits
        self.sink = sink
        self.log = log
        self.uploads = UploadStore(uploads, limits.max_media_bytes)
        self._progress: dict[str, str] = {}  # message id → "transcribing… 40 %"

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return [
            web.get("/", self.index),
            web.static("/static", STATIC),
            web.post("/api/chats", self.new_chat),
            web.post("/api/chats/{chat_id}/messages", self.post_message),
            web.get("/api/chats/{chat_id}/messages", self.list_messages),
            web.get("/api/voice/{message_id}", self.voice),
            web.get("/api/attachments/{message_id}", self.attachment),
        ]

    # HTTP ------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def new_chat(self, _request: web.Request) -> web.Response:
        """A fresh chat id for a browser that has none (or one the rule refuses)."""
        return web.json_response({"chat_id": f"web-{uuid.uuid4().hex[:24]}"}, status=201)

    def _chat_id(self, request: web.Request) -> str:
        chat_id = request.match_info["chat_id"]
        if not CHAT_ID.match(chat_id):
            raise web.HTTPBadRequest(
                text=json.dumps({"error": CHAT_ID_RULE}), content_type="application/json"
            )
        return chat_id

    async def post_message(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request)
        try:
            form = await read_form(request, self.uploads, max_text=self.limits.max_text_chars)
        except MediaTooLarge as too_big:
            return _error(413, too_big.user_message)
        except BadInput as bad:
            return _error(400, bad.user_message)
        assert form.kind is not None
        media = None
        if form.upload_key:
            media = MediaRef(
                file_id=form.upload_key,
                mime_type=form.mime_type,
                size=form.upload_size,
                file_name=form.file_name,
            )
        message = IncomingMessage(
            platform=Platform.WEB,
            message_id=form.client_message_id or uuid.uuid4().hex,
            chat_id=chat_id,
            user_id=chat_id,
            kind=form.kind,
            text=form.text,
            media=media,
        )
        try:
            accepted = await self.sink.accept(message)
        except BaseException:
            self._drop_upload(form.upload_key)  # not stored: the file would wait for nothing
            raise
        if accepted.duplicate or accepted.refused:
            self._drop_upload(form.upload_key)
        if accepted.refused:
            return _error(429, "Too many messages; please wait a minute.")
        return web.json_response(
            {"message_id": accepted.id, "duplicate": accepted.duplicate}, status=202
        )

    def _drop_upload(self, key: str | None) -> None:
        if key:
            self.uploads.discard(key)

    async def list_messages(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request)
        after = _message_id(request.query.get("after", "0") or "0")
        if after is None:
            return _error(400, AFTER_RULE)
        rows = await self.log.messages(Platform.WEB, chat_id, after_id=after)
        response = web.json_response([self._json(row) for row in rows])
        for row in rows:  # the page has the confirmation of a forget: its traces may go
            if row.event is ReplyEvent.HISTORY_DELETED and row.state is State.DELIVERED:
                await self.sink.shown(Platform.WEB, chat_id, row.id)
        return response

    def _json(self, row: StoredMessage) -> dict[str, object]:
        incoming = row.direction is Direction.IN
        return {
            "id": row.id,
            "direction": row.direction.value,
            "kind": row.kind.value,
            "text": row.text,
            "transcript": row.transcript if incoming else None,
            "caption": row.caption if incoming else None,
            "voice_url": f"/api/voice/{row.id}" if row.has_voice else None,
            "voice_duration": row.voice_duration,
            "attachment_url": f"/api/attachments/{row.id}" if row.has_attachment else None,
            "choices": [{"label": c.label, "command": c.command} for c in row.choices],
            "answer_to": row.answer_to,
            "state": row.state.value,
            "error": row.error if row.state is State.FAILED else None,
            "event": row.event.value if row.event else None,
            "created_at": row.created_at.isoformat(),
            "progress": self._progress.get(row.platform_message_id or "") if incoming else None,
        }

    async def voice(self, request: web.Request) -> web.Response:
        message_id = _message_id(request.match_info["message_id"].removesuffix(".ogg"))
        data = None if message_id is None else await self.log.voice(message_id)
        if data is None:
            return _error(404, "No such voice note.")
        return web.Response(body=data, content_type="audio/ogg",
                            headers={"Cache-Control": "private, max-age=86400"})

    async def attachment(self, request: web.Request) -> web.Response:
        message_id = _message_id(request.match_info["message_id"])
        found = None if message_id is None else await self.log.attachment(message_id)
        if found is None:
            return _error(404, "No such file.")
        return web.Response(
            body=found.data,
            content_type=found.mime_type,
            headers={"Content-Disposition": f'attachment; filename="{found.file_name}"'},
        )

    # Adapter ---------------------------------------------------------------

    async def download(self, media: MediaRef) -> bytes:
        return await asyncio.to_thread(self.uploads.read, media.file_id)

    async def release(self, media: MediaRef) -> None:
        """The raw upload goes once understood (or forgotten)."""
        await asyncio.to_thread(self.uploads.discard, media.file_id)

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
        return [uuid.uuid4().hex]

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
        return [uuid.uuid4().hex]

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        return [uuid.uuid4().hex]

    def open_progress(self, chat_id: str, reply_to_id: str | None) -> WebProgress:
        return WebProgress(self._progress, reply_to_id)
