"""Bodies found by tests/reliability/test_fuzz.py that got a 500: each now gets a 400."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.adapter import WebAdapter
from bot.config import LimitSettings
from tests.fakes.sink import RecordingSink
from tests.reliability.fuzzing import NoLog


async def test_a_urlencoded_body_that_is_not_utf8_gets_400(tmp_path: Path) -> None:
    sink = RecordingSink()
    adapter = WebAdapter(sink, NoLog(), limits=LimitSettings(), uploads=tmp_path / "uploads")
    app = web.Application()
    app.add_routes(adapter.routes())
    async with TestClient(TestServer(app)) as http:
        response = await http.post(
            "/api/chats/odd/messages", data=b"text=\xff\xfe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert response.status == 400
        assert (await response.json())["error"] == "The form is not valid UTF-8 text."
    assert sink.accepted == []
