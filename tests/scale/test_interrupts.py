"""/stop and a newer message, sent to a gateway, stop the generation running on a worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import serving
from bot.ports.engines import Engines
from tests.fakes.engines import FakeChat, fake_engines
from tests.support.ports import free_port
from tests.support.settings import make_settings


@asynccontextmanager
async def _gateway_and_worker(url: str, tmp_path: Path, engines: Engines) -> AsyncIterator[str]:
    """The gateway's chat API base URL, with one worker answering."""
    gateway = make_settings(database_url=url, data_dir=str(tmp_path), port=free_port(),
                            warm_engines=False)  # fmt: skip
    worker = make_settings(database_url=url, data_dir=str(tmp_path), port=free_port(),
                           warm_engines=False)  # fmt: skip
    async with serving(gateway, fake_engines(), role="gateway"), serving(
        worker, engines, role="worker"
    ):
        yield f"http://127.0.0.1:{gateway.server.port}/api/chats"


async def _post(session: aiohttp.ClientSession, base: str, text: str) -> None:
    async with session.post(base, data={"text": text}) as response:
        assert response.status == 202, await response.text()


async def _until(session: aiohttp.ClientSession, base: str, done: Any) -> list[dict[str, Any]]:
    for _ in range(300):
        async with session.get(base) as response:
            listed: list[dict[str, Any]] = await response.json()
        if done(listed):
            return listed
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached: {listed}")


def _incoming(listed: list[dict[str, Any]], text: str) -> dict[str, Any]:
    return next(m for m in listed if m["direction"] == "in" and m["text"] == text)


async def test_stop_at_the_gateway_stops_the_worker_generating(
    pg_url: str, tmp_path: Path
) -> None:
    engines = fake_engines(chat_delay=60)
    async with _gateway_and_worker(pg_url, tmp_path, engines) as api, aiohttp.ClientSession() as s:
        base = f"{api}/stopping/messages"
        await _post(s, base, "write me a long story")
        await _until(s, base, lambda ms: _incoming(ms, "write me a long story")["state"]
                     == "working")  # fmt: skip
        await _post(s, base, "/stop")
        listed = await _until(s, base, lambda ms: any(
            m["direction"] == "out" and m["state"] == "delivered" for m in ms))  # fmt: skip
    story = _incoming(listed, "write me a long story")
    assert story["state"] == "failed"
    assert [m["text"].strip() for m in listed if m["direction"] == "out"] == ["Stopped."]


async def test_a_newer_message_at_the_gateway_interrupts_the_older_answer(
    pg_url: str, tmp_path: Path
) -> None:
    engines = fake_engines(chat_delay=60)
    async with _gateway_and_worker(pg_url, tmp_path, engines) as api, aiohttp.ClientSession() as s:
        base = f"{api}/interrupting/messages"
        await _post(s, base, "first thought")
        assert isinstance(engines.chat, FakeChat)
        chat = engines.chat
        await _until(s, base, lambda _: bool(chat.seen))  # the model is writing the first
        chat.delay = 0
        await _post(s, base, "second thought")
        listed = await _until(s, base, lambda ms: any(
            m["direction"] == "out" and m["state"] == "delivered" for m in ms))  # fmt: skip
    assert _incoming(listed, "first thought")["state"] == "failed"
    (answer,) = [m["text"].strip() for m in listed if m["direction"] == "out"]
    assert answer.endswith("second thought")  # one answer, to both turns


async def test_stop_with_nothing_running_says_so(pg_url: str, tmp_path: Path) -> None:
    async with _gateway_and_worker(pg_url, tmp_path, fake_engines()) as api, \
            aiohttp.ClientSession() as s:  # fmt: skip
        base = f"{api}/idle/messages"
        await _post(s, base, "/stop")
        listed = await _until(s, base, lambda ms: any(m["direction"] == "out" for m in ms))
    assert [m["text"].strip() for m in listed if m["direction"] == "out"] == [
        "There is nothing to stop."]
