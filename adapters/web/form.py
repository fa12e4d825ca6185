"""Reading and checking one POSTed message: text, a voice/audio file, or a photo."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from adapters.web.uploads import UploadStore
from bot.errors import BadInput
from bot.images import check_image
from bot.models import ContentKind

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
FILE_FIELDS = {"voice": ContentKind.VOICE, "audio": ContentKind.AUDIO, "image": ContentKind.PHOTO}
MAX_FIELD_BYTES = 1_000_000


@dataclass(slots=True)
class Form:
    text: str | None = None
    client_message_id: str | None = None
    kind: ContentKind | None = None
    upload_key: str | None = None
    upload_size: int = 0
    mime_type: str | None = None
    file_name: str | None = None


def _decode(raw: bytes, field: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"The {field} field is not valid UTF-8 text.") from None


def _unicode(text: str | None, field: str) -> str | None:
    """Text that can be stored: JSON may escape a lone surrogate, which UTF-8 cannot hold."""
    if text is not None:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInput(f"The {field} field is not valid Unicode text.") from None
    return text


async def read_form(request: web.Request, uploads: UploadStore, *, max_text: int) -> Form:
    """Parse multipart (or JSON/urlencoded text); raise BadInput with a one-line reason."""
    form = Form()
    if request.content_type == "multipart/form-data":
        await _read_multipart(request, form, uploads)
    elif request.content_type == "application/json":
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python reads
            raise BadInput("The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise BadInput("The body must be a JSON object.")
        form.text = body.get("text") if isinstance(body.get("text"), str) else None
        cid = body.get("client_message_id")
        form.client_message_id = cid if isinstance(cid, str) else None
    else:
        try:
            fields = await request.post()
        except UnicodeDecodeError:  # a urlencoded body that is not UTF-8
            raise BadInput("The form is not valid UTF-8 text.") from None
        text = fields.get("text")
        form.text = text if isinstance(text, str) else None
        cid = fields.get("client_message_id")
        form.client_message_id = cid if isinstance(cid, str) else None
    await _check(form, uploads, max_text)
    return form


async def _read_multipart(request: web.Request, form: Form, uploads: UploadStore) -> None:
    """Every part; a body that is not a well-formed form (no or the wrong boundary, cut off
    before its closing boundary) is refused, and a file already saved from it removed."""
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadInput("Nested multipart bodies are not supported.")
            await _read_part(part, form, uploads)
    except ValueError:  # aiohttp's word for a malformed multipart body
        _discard(form, uploads)
        raise BadInput("The form is not well-formed multipart data (check its boundary).") from None
    except BadInput:
        _discard(form, uploads)
        raise


async def _read_part(part: BodyPartReader, form: Form, uploads: UploadStore) -> None:
    name = part.name or ""
    if name in FILE_FIELDS:
        if form.kind is not None:
            _discard(form, uploads)
            raise BadInput("Send one file per message.")
        form.kind = FILE_FIELDS[name]
        form.upload_key, form.upload_size = await uploads.save(part)
        form.mime_type = _printable(part.headers.get("Content-Type"))
        form.file_name = _printable(part.filename)
    elif name in ("text", "client_message_id"):
        raw = await part.read(decode=False)
        if len(raw) > MAX_FIELD_BYTES:
            raise BadInput("That text is far too long.")
        setattr(form, name, _decode(bytes(raw), name))
    else:
        await part.release()


def _printable(header: str | None) -> str | None:
    """A header value as text: bytes that were not UTF-8 come back as U+FFFD, not surrogates."""
    if header is None:
        return None
    return header.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _discard(form: Form, uploads: UploadStore) -> None:
    if form.upload_key:
        uploads.discard(form.upload_key)


async def _check(form: Form, uploads: UploadStore, max_text: int) -> None:
    try:
        _unicode(form.text, "text")
        if form.client_message_id is not None and not CLIENT_ID.match(form.client_message_id):
            raise BadInput("client_message_id must be 1–100 letters, digits or _ . : -")
        if form.text and len(form.text) > max_text:
            raise BadInput(
                f"That message is too long: the limit is {max_text:,} characters "
                f"(it has {len(form.text):,})."
            )
        if form.kind is None:
            if not form.text or not form.text.strip():
                raise BadInput("The message is empty: send text, a voice note, audio or a photo.")
            form.kind = ContentKind.TEXT
            return
        if form.upload_size == 0:
            raise BadInput("The file is empty.")
        if form.kind is ContentKind.PHOTO and form.upload_key:
            data = await asyncio.to_thread(uploads.read, form.upload_key)
            await asyncio.to_thread(check_image, data)
    except BadInput:
        _discard(form, uploads)
        raise
