"""Killed after acknowledging, before answering: exactly one reply once it is back."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from adapters.whatsapp.adapter import WEBHOOK_PATH
from tests.fakes.graph_server import FakeGraph
from tests.support.corpus import REPO
from tests.support.ports import free_port
from tests.support.whatsapp_bodies import (
    APP_SECRET,
    USER,
    VERIFY_TOKEN,
    signed,
    wa_body,
    wa_message,
    wa_value,
)


class Server:
    """tests/fakes/serve.py in a subprocess, configured like a deployment would be."""

    def __init__(self, graph: FakeGraph, db: Path, data_dir: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
            ),
            "OMNIVOX_PORT": str(self.port),
            "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "OMNIVOX_DATA_DIR": str(data_dir),
            "OMNIVOX_WARM_ENGINES": "false",
            "WHATSAPP_ACCESS_TOKEN": graph.token,
            "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "WHATSAPP_GRAPH_BASE_URL": graph.base_url,
            "WHATSAPP_API_VERSION": graph.version,
            "TELEGRAM_BOT_TOKEN": "",
        }
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def start(self, chat_delay: float) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fakes.serve",
            cwd=REPO,
            env={**self.env, "FAKE_CHAT_DELAY": str(chat_delay)},
            stdout=asyncio.subprocess.PIPE,
            stderr=None,
        )
        assert self.proc.stdout is not None
        async with asyncio.timeout(60):
            while not (line := await self.proc.stdout.readline()).startswith(b"READY"):
                assert line, "omnivox exited before it was ready"

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await self.proc.wait()
            except TimeoutError:
                await self.kill()


@pytest.fixture
async def server(graph: FakeGraph, tmp_path: Path) -> AsyncIterator[Server]:
    srv = Server(graph, tmp_path / "omnivox.db", tmp_path)
    yield srv
    await srv.kill()


async def test_killed_before_the_reply_answers_once_after_restart(
    server: Server, graph: FakeGraph
) -> None:
    raw, headers = signed(wa_body(wa_value([wa_message("text", "wamid.K1", {"body": "hello"})])))
    await server.start(chat_delay=30)
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url, data=raw, headers=headers) as resp:
            assert resp.status == 200
        await server.kill()
        assert graph.sent == []

        await server.start(chat_delay=0)
        [sent] = await graph.wait_sent(1, within=30)
        assert sent["to"] == USER and sent["context"] == {"message_id": "wamid.K1"}
        async with http.post(server.url, data=raw, headers=headers) as resp:  # Meta redelivers
            assert resp.status == 200
        await asyncio.sleep(1.5)
    await server.stop()
    assert len(graph.sent) == 1
