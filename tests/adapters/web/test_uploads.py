"""Uploads wait on disk under a random key until understood; keys cannot leave the folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.uploads import UploadStore
from bot.errors import MediaTooLarge, UnreadableMedia


@pytest.fixture
def uploads(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "up", limit_bytes=1024 * 1024)


@pytest.fixture
async def client(uploads: UploadStore) -> AsyncIterator[TestClient]:
    async def handle(request: web.Request) -> web.Response:
        part = await (await request.multipart()).next()
        assert isinstance(part, aiohttp.BodyPartReader)
        try:
            key, size = await uploads.save(part)
        except MediaTooLarge as too_big:
            return web.json_response({"error": too_big.user_message}, status=413)
        return web.json_response({"key": key, "size": size})

    app = web.Application(client_max_size=10 * 1024 * 1024)
    app.router.add_post("/", handle)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def upload(client: TestClient, data: bytes) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="f.bin", content_type="application/octet-stream")
    return await client.post("/", data=form)


async def test_saved_read_and_discarded(client: TestClient, uploads: UploadStore) -> None:
    saved = await (await upload(client, b"x" * 200_000)).json()
    assert saved["size"] == 200_000 and uploads.read(saved["key"]) == b"x" * 200_000
    uploads.discard(saved["key"])
    uploads.discard(saved["key"])  # twice is fine
    with pytest.raises(UnreadableMedia, match="no longer here"):
        uploads.read(saved["key"])


async def test_over_the_limit_stops_and_leaves_nothing(
    client: TestClient, uploads: UploadStore
) -> None:
    response = await upload(client, b"x" * (1024 * 1024 + 1))
    assert response.status == 413 and "1 MB" in (await response.json())["error"]
    assert list(uploads.folder.iterdir()) == []


@pytest.mark.parametrize("key", ["", "../secret", "a/b", ".hidden"])
def test_keys_cannot_reach_outside(uploads: UploadStore, key: str) -> None:
    with pytest.raises(UnreadableMedia):
        uploads.path(key)
