"""A crash between the inbox write and the reply: after a restart, exactly one reply."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fakes.telegram_server import FakeBotApi
from tests.support.ports import free_port
from tests.support.process import kill_hard, start_omnivox, stop
from tests.support.telegram_payloads import load


def _env(api: FakeBotApi, tmp_path: Path, chat_delay: float) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_FILE_BASE_URL": api.base_file_url,
        "TELEGRAM_RATE_LIMITER": "false",
        "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        "OMNIVOX_DATA_DIR": str(tmp_path),
        "OMNIVOX_PORT": str(free_port()),
        "OMNIVOX_WARM_ENGINES": "false",
        "FAKE_CHAT_DELAY": str(chat_delay),
    }


@contextmanager
def _drained(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Keep reading the child's output so a full pipe never blocks it."""
    assert process.stdout is not None
    reader = threading.Thread(target=process.stdout.read, daemon=True)
    reader.start()
    yield process


async def test_killed_after_accept_answers_exactly_once_after_restart(
    api: FakeBotApi, tmp_path: Path
) -> None:
    first = await asyncio.to_thread(start_omnivox, _env(api, tmp_path, chat_delay=30))
    with _drained(first):
        pushed = api.push(load("text", text="survive this"))
        await api.wait_confirmed(pushed["update_id"], within=20)  # stored, acknowledged
        await api.wait_for("sendChatAction")  # and being worked on
        await asyncio.to_thread(kill_hard, first)
    assert not api.calls_of("sendMessage")

    second = await asyncio.to_thread(start_omnivox, _env(api, tmp_path, chat_delay=0))
    with _drained(second):
        await api.wait_for("sendMessage", within=20)
        await asyncio.sleep(2.5)  # time for a duplicate to show up, if there were one
        await asyncio.to_thread(stop, second)
    (reply,) = api.calls_of("sendMessage")
    assert "You said: survive this" in reply.params["text"]
    assert reply.params["reply_parameters"]["message_id"] == 11
    assert not api.rejected, api.rejected
