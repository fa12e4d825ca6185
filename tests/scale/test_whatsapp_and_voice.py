"""A gateway and two workers on PostgreSQL answer WhatsApp (the fake Graph API): a text and
a voice note, each answered once, the note downloaded and the reply uploaded by a worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp

from adapters.whatsapp.adapter import WEBHOOK_PATH
from bot.app import serving
from tests.fakes.engines import fake_engines
from tests.fakes.graph_server import FakeGraph
from tests.support.media import tone_ogg
from tests.support.ports import free_port
from tests.support.settings import wa_settings
from tests.support.whatsapp_bodies import signed, wa_body, wa_message, wa_value


@asynccontextmanager
async def _cluster(graph: FakeGraph, url: str, tmp_path: Path) -> AsyncIterator[str]:
    async with AsyncExitStack() as stack:
        ports = [free_port() for _ in range(3)]
        for role, port in zip(("gateway", "worker", "worker"), ports, strict=True):
            settings = wa_settings(graph, database_url=url, data_dir=str(tmp_path), port=port,
                                   warm_engines=False)  # fmt: skip
            await stack.enter_async_context(serving(settings, fake_engines(), role=role))
        yield f"http://127.0.0.1:{ports[0]}{WEBHOOK_PATH}"


async def test_whatsapp_through_a_gateway_and_two_workers(
    graph: FakeGraph, pg_url: str, tmp_path: Path
) -> None:
    graph.add_media("voice-9", tone_ogg(), "audio/ogg; codecs=opus")
    text = wa_body(wa_value([wa_message("text", "wamid.S1", {"body": "hello at scale"})]))
    voice = wa_body(wa_value([wa_message("audio", "wamid.S2", {
        "mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": "voice-9", "voice": True,
    })]))  # fmt: skip
    async with _cluster(graph, pg_url, tmp_path) as webhook, aiohttp.ClientSession() as s:
        for body in (text, text, voice):  # the first one delivered twice
            raw, headers = signed(body)
            async with s.post(webhook, data=raw, headers=headers) as response:
                assert response.status == 200
        await graph.wait_sent(3, within=30)
        await asyncio.sleep(1.5)  # time for a duplicate to show up, if there were one
    kinds = sorted(m["type"] for m in graph.sent)
    assert kinds == ["audio", "text", "text"], graph.sent
    texts = [m["text"]["body"] for m in graph.sent if m["type"] == "text"]
    assert any("hello at scale" in t for t in texts)
    assert any("what is the weather like today" in t for t in texts)  # the note, heard
    assert graph.calls["media_download"] == 1
