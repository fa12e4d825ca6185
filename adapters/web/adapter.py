"""The web chat channel: serves the page and its JSON API; replies wait in the store."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from adapters.base import ReplyStream
from adapters.web.form import read_form
from adapters.web.uploads import UploadStore
from bot.config import Settings
from bot.errors import BadInput, MediaTooLarge
from bot.models import (
    Activity,
    Attachment,
    Choice,
    IncomingMessage,
    MediaRef,
    Platform,
    VoiceAudio,
)
from bot.ports import Direction, MessageSink, Store, StoredMessage

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
CHAT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class WebAdapter:
    """Delivery is the store itself: the page polls `GET .../messages`."""

    platform = Platform.WEB

    def __init__(self, settings: Settings, sink: MessageSink, store: Store) -> None:
        self.settings = settings
        self.sink = sink
        self.store = store
        self.uploads = UploadStore(Path(settings.data_dir) / "uploads", settings.max_media_bytes)

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return [
            web.get("/", self.index),
            web.static("/static", STATIC),
            web.post("/api/chats/{chat_id}/messages", self.post_message),
            web.get("/api/chats/{chat_id}/messages", self.list_messages),
            web.get("/api/voice/{message_id}", self.voice),
            web.get("/api/attachments/{message_id}", self.attachment),
        ]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    # HTTP ------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    def _chat_id(self, request: web.Request) -> str:
        chat_id = request.match_info["chat_id"]
        if not CHAT_ID.match(chat_id):
            raise web.HTTPBadRequest(
                text='{"error": "chat_id must be 1-64 letters, digits, _ or -"}',
                content_type="application/json",
            )
        return chat_id

    async def post_message(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request)
        try:
            form = await read_form(request, self.uploads, max_text=self.settings.max_text_chars)
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
        accepted = await self.sink.accept(message)
        if accepted.duplicate and form.upload_key:
            self.uploads.discard(form.upload_key)
        if accepted.refused:
            return _error(429, "Too many messages; please wait a minute.")
        return web.json_response(
            {"message_id": accepted.id, "duplicate": accepted.duplicate}, status=202
        )

    async def list_messages(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request)
        try:
            after = int(request.query.get("after", "0") or 0)
        except ValueError:
            return _error(400, "after must be a message id (a whole number).")
        rows = await self.store.conversation_messages(Platform.WEB, chat_id, after_id=after)
        return web.json_response([self._json(row) for row in rows])

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
            "error": row.error if row.state.value == "failed" else None,
            "created_at": row.created_at.isoformat(),
        }

    async def voice(self, request: web.Request) -> web.Response:
        try:
            message_id = int(request.match_info["message_id"].removesuffix(".ogg"))
        except ValueError:
            return _error(404, "No such voice note.")
        data = await self.store.voice_of(message_id)
        if data is None:
            return _error(404, "No such voice note.")
        return web.Response(body=data, content_type="audio/ogg",
                            headers={"Cache-Control": "private, max-age=86400"})

    async def attachment(self, request: web.Request) -> web.Response:
        try:
            message_id = int(request.match_info["message_id"])
        except ValueError:
            return _error(404, "No such file.")
        found = await self.store.attachment_of(message_id)
        if found is None:
            return _error(404, "No such file.")
        name, mime, data = found
        return web.Response(
            body=data,
            content_type=mime,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # Adapter ---------------------------------------------------------------

    async def download(self, media: MediaRef) -> bytes:
        return await asyncio.to_thread(self.uploads.read, media.file_id)

    def release(self, media: MediaRef) -> None:
        """Raw uploads are not kept once understood, unless OMNIVOX_KEEP_AUDIO says so."""
        if not self.settings.keep_audio:
            self.uploads.discard(media.file_id)

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        choices: Sequence[Choice] = (),
        feedback_for: int | None = None,
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
    ) -> list[str]:
        return [uuid.uuid4().hex]

    async def send_attachment(
        self, chat_id: str, attachment: Attachment, *, reply_to_id: str | None = None
    ) -> list[str]:
        return [uuid.uuid4().hex]

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        return None  # the page shows the message's state instead

    def open_stream(self, chat_id: str, reply_to_id: str | None) -> ReplyStream | None:
        return None

