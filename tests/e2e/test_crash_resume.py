"""SIGKILL right after a message is accepted: after a restart it is answered exactly once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from tests.support.ports import free_port
from tests.support.process import kill_hard, start_omnivox, stop


async def test_killed_after_accept_answers_exactly_once(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "OMNIVOX_PORT": str(port),
        "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/crash.db",
        "OMNIVOX_DATA_DIR": str(tmp_path),
        "OMNIVOX_WARM_ENGINES": "false",
    }
    base = f"http://127.0.0.1:{port}/api/chats/crash/messages"
    first = start_omnivox({**env, "FAKE_CHAT_DELAY": "60"})
    try:
        async with aiohttp.ClientSession() as session:
            form = aiohttp.FormData({"text": "are you there?", "client_message_id": "k1"})
            async with session.post(base, data=form) as response:
                assert response.status == 202
    finally:
        kill_hard(first)

    second = start_omnivox({**env, "FAKE_CHAT_DELAY": "0"})
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            listed: list[dict[str, object]] = []
            while time.monotonic() < deadline:
                async with session.get(base) as response:
                    listed = await response.json()
                if any(m["direction"] == "out" for m in listed):
                    break
                await asyncio.sleep(0.1)
            # the same POST retried by the client after the crash: still one message
            form = aiohttp.FormData({"text": "are you there?", "client_message_id": "k1"})
            async with session.post(base, data=form) as response:
                assert (await response.json())["duplicate"] is True
            async with session.get(base) as response:
                listed = await response.json()
    finally:
        stop(second)
    assert [(m["direction"], m["state"]) for m in listed] == [
        ("in", "delivered"), ("out", "delivered")
    ]
    assert str(listed[1]["text"]).strip() == "You said: are you there?"
