"""Signed webhooks into the real app (real SQLite, fake engines), replies out to the fake Graph."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.whatsapp.adapter import WEBHOOK_PATH
from bot.app import Omnivox, serving
from bot.models import Platform
from bot.ports.store import State
from tests.fakes.engines import fake_engines
from tests.fakes.graph_server import FakeGraph
from tests.support.media import jpeg, tone_ogg
from tests.support.ports import free_port
from tests.support.settings import wa_settings
from tests.support.whatsapp_bodies import USER, signed, wa_body, wa_message, wa_status, wa_value


class Running:
    """The app on a free port, and a way to post signed webhooks to it."""

    def __init__(self, app: Omnivox, url: str, session: aiohttp.ClientSession, db: Path) -> None:
        self.app, self.url, self.session, self.db = app, url, session, db

    async def post(
        self, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> int:
        raw, signed_headers = signed(body)
        async with self.session.post(self.url, data=raw, headers=headers or signed_headers) as r:
            return r.status

    async def idle(self) -> None:
        await self.app.dispatcher.idle(within=30)

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, args).fetchall()


@contextlib.asynccontextmanager
async def run_app(graph: FakeGraph, tmp_path: Path, **overrides: Any) -> AsyncIterator[Running]:
    db = tmp_path / "omnivox.db"
    settings = wa_settings(
        graph,
        database_url=f"sqlite+aiosqlite:///{db}",
        data_dir=str(tmp_path),
        port=free_port(),
        warm_engines=False,
        **overrides,
    )
    async with serving(settings, fake_engines()) as app, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{settings.server.port}{WEBHOOK_PATH}"
        yield Running(app, url, session, db)


@pytest.fixture
async def running(graph: FakeGraph, tmp_path: Path) -> AsyncIterator[Running]:
    async with run_app(graph, tmp_path) as app:
        yield app


def text_delivery(wamid: str, text: str) -> dict[str, Any]:
    return wa_body(wa_value([wa_message("text", wamid, {"body": text})]))


async def test_voice_note_gets_a_voice_note_and_its_text(
    running: Running, graph: FakeGraph
) -> None:
    graph.add_media("voice-1", tone_ogg(), "audio/ogg; codecs=opus")
    body = wa_body(
        wa_value(
            [
                wa_message(
                    "audio",
                    "wamid.V1",
                    {
                        "mime_type": "audio/ogg; codecs=opus",
                        "sha256": "x",
                        "id": "voice-1",
                        "voice": True,
                    },
                )
            ]
        )
    )
    assert await running.post(body) == 200
    await graph.wait_sent(2)
    await running.idle()
    audio, text = graph.sent
    assert graph.calls["media_info"] == 1 and graph.calls["media_download"] == 1
    assert audio["type"] == "audio" and audio["audio"]["voice"] is True
    assert audio["context"] == {"message_id": "wamid.V1"}
    upload = graph.uploads[audio["audio"]["id"]]
    assert upload.mime_type == "audio/ogg" and upload.data[:4] == b"OggS"
    assert len(upload.data) <= 512 * 1024
    assert "what is the weather like today" in text["text"]["body"]
    assert graph.reads and graph.reads[0]["message_id"] == "wamid.V1"


async def test_photo_with_caption_gets_an_answer_about_it(
    running: Running, graph: FakeGraph
) -> None:
    graph.add_media("photo-1", jpeg((64, 48)), "image/jpeg")
    body = wa_body(
        wa_value(
            [
                wa_message(
                    "image",
                    "wamid.P1",
                    {
                        "caption": "what is on my desk?",
                        "mime_type": "image/jpeg",
                        "sha256": "x",
                        "id": "photo-1",
                    },
                )
            ]
        )
    )
    assert await running.post(body) == 200
    [sent] = await graph.wait_sent(1)
    await running.idle()
    assert sent["context"] == {"message_id": "wamid.P1"}
    answer = sent["text"]["body"]
    assert "what is on my desk?" in answer and "cup" in answer


async def test_redelivery_gets_no_second_reply(running: Running, graph: FakeGraph) -> None:
    body = text_delivery("wamid.T1", "hello")
    assert await running.post(body) == 200
    await graph.wait_sent(1)
    await running.idle()
    assert await running.post(body) == 200
    await asyncio.sleep(0.3)
    await running.idle()
    assert len(graph.sent) == 1
    assert running.rows("SELECT count(*) FROM messages WHERE direction='in'") == [(1,)]


async def test_wrong_signature_stores_nothing(running: Running, graph: FakeGraph) -> None:
    body = text_delivery("wamid.T1", "hello")
    raw, _ = signed(body)
    status = await running.post(raw, {"X-Hub-Signature-256": "sha256=" + "ab" * 32})
    assert status == 403
    assert await running.post(raw, {"Content-Type": "application/json"}) == 401
    assert await running.post(b"[]") == 400
    await asyncio.sleep(0.2)
    assert running.rows("SELECT count(*) FROM messages") == [(0,)]
    assert graph.sent == []


async def test_re_engagement_keeps_the_reply_without_retrying(
    running: Running, graph: FakeGraph
) -> None:
    graph.fail("messages", 131047)
    assert await running.post(text_delivery("wamid.T1", "hello")) == 200
    await graph.wait_for(lambda g: g.calls["messages"] >= 1)
    await running.idle()
    await asyncio.sleep(4.5)  # two retry sweeps
    assert graph.calls["messages"] == 1 and graph.sent == []
    [(state, error)] = running.rows("SELECT state, error FROM messages WHERE direction='out'")
    assert state == State.WAITING.value and "24-hour window" in error


async def test_rate_limit_is_delivered_after_backoff(running: Running, graph: FakeGraph) -> None:
    graph.fail("messages", 130429, times=4)  # outlasts the client's quick retries
    assert await running.post(text_delivery("wamid.T1", "hello")) == 200
    [sent] = await graph.wait_sent(1, within=20)
    assert "hello" in sent["text"]["body"] and graph.calls["messages"] == 5
    await running.idle()
    assert running.rows("SELECT state FROM messages WHERE direction='out'") == [
        (State.DELIVERED.value,)
    ]


async def test_statuses_update_our_reply_and_never_answer(
    running: Running, graph: FakeGraph
) -> None:
    assert await running.post(text_delivery("wamid.T1", "hello")) == 200
    [sent] = await graph.wait_sent(1)
    await running.idle()
    ours = sent["_wamid"]
    for status in ("sent", "delivered", "read"):
        assert await running.post(wa_body(wa_value(statuses=[wa_status(ours, status)]))) == 200
    await asyncio.sleep(0.3)
    await running.idle()
    assert running.rows("SELECT status FROM deliveries WHERE platform_message_id=?", ours) == [
        ("read",)
    ]
    failed = wa_status(ours, "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    assert await running.post(wa_body(wa_value(statuses=[failed]))) == 200
    await asyncio.sleep(0.2)
    [(state, error)] = running.rows("SELECT state, error FROM messages WHERE direction='out'")
    assert state == State.FAILED.value and "131026" in error
    assert len(graph.sent) == 1


async def test_unsupported_message_gets_a_clear_reply(running: Running, graph: FakeGraph) -> None:
    body = wa_body(
        wa_value([wa_message("sticker", "wamid.S1", {"mime_type": "image/webp", "id": "st"})])
    )
    assert await running.post(body) == 200
    [sent] = await graph.wait_sent(1)
    assert "can't use that kind of message" in sent["text"]["body"]


async def test_too_large_media_is_refused_with_the_limit(
    running: Running, graph: FakeGraph
) -> None:
    graph.add_media("big", b"x", "image/jpeg", declared_size=200 * 1024 * 1024)
    body = wa_body(
        wa_value([wa_message("image", "wamid.B1", {"mime_type": "image/jpeg", "id": "big"})])
    )
    assert await running.post(body) == 200
    [sent] = await graph.wait_sent(1)
    assert "too large" in sent["text"]["body"] and graph.calls["media_download"] == 0


async def test_button_reply_runs_the_command(running: Running, graph: FakeGraph) -> None:
    body = wa_body(
        wa_value(
            [
                wa_message(
                    "interactive",
                    "wamid.I1",
                    {"type": "button_reply", "button_reply": {"id": "/help", "title": "Help"}},
                )
            ]
        )
    )
    assert await running.post(body) == 200
    [sent] = await graph.wait_sent(1)
    assert "You said" not in sent["text"]["body"]


async def test_whatsapp_is_mounted_only_when_configured(tmp_path: Path) -> None:
    settings = wa_settings(
        whatsapp_access_token="",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/d.db",
        data_dir=str(tmp_path),
        warm_engines=False,
    )
    app = Omnivox(settings, fake_engines())
    try:
        assert Platform.WHATSAPP not in app.dispatcher.adapters
    finally:
        await app.store.close()


async def test_users_not_on_the_list_are_told_once(graph: FakeGraph, tmp_path: Path) -> None:
    async with run_app(graph, tmp_path, allowed_users="whatsapp:+4915100000000") as running:
        for n in range(3):
            assert await running.post(text_delivery(f"wamid.A{n}", "let me in")) == 200
        [sent] = await graph.wait_sent(1)
        await asyncio.sleep(0.3)
        await running.idle()
    assert "private" in sent["text"]["body"] and len(graph.sent) == 1
    assert running.rows("SELECT count(*) FROM messages") == [(0,)]


async def test_listed_user_with_a_plus_is_let_in(graph: FakeGraph, tmp_path: Path) -> None:
    async with run_app(graph, tmp_path, allowed_users=f"whatsapp:+{USER}") as running:
        assert await running.post(text_delivery("wamid.A1", "hi")) == 200
        [sent] = await graph.wait_sent(1)
    assert "You said" in sent["text"]["body"]


async def test_rate_limit_answers_clearly(graph: FakeGraph, tmp_path: Path) -> None:
    async with run_app(graph, tmp_path, rate_limit_per_minute=2) as running:
        body = wa_body(
            wa_value([wa_message("text", f"wamid.R{n}", {"body": f"m{n}"}) for n in range(5)])
        )
        assert await running.post(body) == 200
        await graph.wait_sent(3)
        await asyncio.sleep(0.3)
        await running.idle()
    texts = graph.texts_to(USER)
    assert sum("limit is 2 a minute" in t for t in texts) == 1 and len(texts) == 3


async def test_a_lone_surrogate_is_acknowledged_and_the_next_message_flows(
    running: Running, graph: FakeGraph
) -> None:
    """Before, such a body got 500 on every redelivery, and Meta redelivers for days."""
    assert await running.post(text_delivery("wamid.BAD", "\ud800 broken")) == 200
    assert await running.post(text_delivery("wamid.OK", "still here")) == 200
    await graph.wait_sent(1)
    await running.idle()
    assert running.rows("SELECT platform_message_id FROM messages WHERE direction='in'") == [
        ("wamid.OK",)]
