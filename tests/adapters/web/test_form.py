"""One POSTed message read and checked: text as JSON, form or multipart; one file at most."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.form import read_form
from adapters.web.uploads import UploadStore
from bot.errors import BadInput
from tests.support.forms import multipart
from tests.support.media import png

MAX_TEXT = 50


@pytest.fixture
def uploads(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "uploads", limit_bytes=100_000)


@pytest.fixture
async def client(uploads: UploadStore) -> AsyncIterator[TestClient]:
    async def handle(request: web.Request) -> web.Response:
        try:
            form = await read_form(request, uploads, max_text=MAX_TEXT)
        except BadInput as bad:
            return web.json_response({"error": bad.user_message}, status=400)
        found = dataclasses.asdict(form)
        found["kind"] = form.kind.value if form.kind else None
        return web.json_response(found)

    app = web.Application()
    app.router.add_post("/", handle)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def send(client: TestClient, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post("/", **kwargs)
    return response.status, await response.json()


async def test_json_text(client: TestClient) -> None:
    status, form = await send(client, json={"text": "hi", "client_message_id": "c-1"})
    assert status == 200 and (form["kind"], form["text"], form["client_message_id"]) == (
        "text", "hi", "c-1")


async def test_urlencoded_text(client: TestClient) -> None:
    status, form = await send(client, data={"text": "hello"})
    assert status == 200 and form["text"] == "hello"


async def test_multipart_photo_is_saved_and_checked(
    client: TestClient, uploads: UploadStore
) -> None:
    status, form = await send(client, data=multipart(image=("p.png", png(), "image/png"),
                                                     text="what is it?"))  # fmt: skip
    assert status == 200 and form["kind"] == "photo" and form["upload_size"] > 0
    assert uploads.read(form["upload_key"]) == png()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"json": ["not", "an", "object"]}, "must be a JSON object"),
        ({"data": b"{nope", "headers": {"Content-Type": "application/json"}}, "not valid JSON"),
        ({"json": {"text": "   "}}, "empty"),
        ({"json": {"text": "x" * (MAX_TEXT + 1)}}, "too long"),
        ({"json": {"text": "hi", "client_message_id": "../etc"}}, "client_message_id"),
    ],
)
async def test_bad_bodies_get_one_line(
    client: TestClient, kwargs: dict[str, Any], error: str
) -> None:
    status, body = await send(client, **kwargs)
    assert status == 400 and error in body["error"] and "\n" not in body["error"]


async def test_two_files_are_refused_and_nothing_is_kept(
    client: TestClient, uploads: UploadStore
) -> None:
    status, body = await send(client, data=multipart(image=("a.png", png(), "image/png"),
                                                     voice=("v.ogg", b"OggS", "audio/ogg")))
    assert status == 400 and "one file" in body["error"]
    assert list(uploads.folder.iterdir()) == []


async def test_an_empty_or_broken_file_is_refused_and_removed(
    client: TestClient, uploads: UploadStore
) -> None:
    status, body = await send(client, data=multipart(voice=("v.ogg", b"", "audio/ogg")))
    assert status == 400 and "empty" in body["error"]
    status, body = await send(client, data=multipart(image=("p.png", b"not a png", "image/png")))
    assert status == 400 and "image" in body["error"]
    assert list(uploads.folder.iterdir()) == []


async def test_invalid_utf8_text_field(client: TestClient) -> None:
    form = aiohttp.FormData()
    form.add_field("text", b"\xff\xfe", content_type="text/plain")
    status, body = await send(client, data=form)
    assert status == 400 and "UTF-8" in body["error"]


async def test_a_file_name_that_is_not_utf8_is_kept_readable(client: TestClient) -> None:
    body = (b'--b\r\nContent-Disposition: form-data; name="voice"; filename="\xff\xfe.ogg"\r\n'
            b"Content-Type: audio/ogg\r\n\r\nOggS1234\r\n--b--\r\n")  # fmt: skip
    status, form = await send(
        client, data=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert status == 200 and form["file_name"] == "\ufffd\ufffd.ogg"
