"""Fixtures: the fake Bot API, settings pointing at it, and a sink that records accepts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.adapter import TelegramAdapter
from bot.config import Settings
from bot.models import IncomingMessage, Platform
from bot.ports import Accepted
from tests.fakes.telegram_server import FakeBotApi


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def telegram_settings(api: FakeBotApi, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": api.token,
        "telegram_api_base_url": api.base_url,
        "telegram_file_base_url": api.base_file_url,
        "telegram_rate_limiter": False,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        "host": "127.0.0.1",
        "port": free_port(),
        "warm_engines": False,
        "allowed_users": "",
    }
    return Settings(**(values | overrides))


@dataclass
class RecordingSink:
    """A MessageSink that stores accepts in memory; `gate` can hold accept open."""

    accepted: list[IncomingMessage] = field(default_factory=list)
    feedback: list[tuple[Platform, str, str, int]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    failures: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)

    async def accept(self, message: IncomingMessage) -> Accepted:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is locked")
        key = (message.chat_id, message.message_id)
        if key in self.seen:
            return Accepted(id=None, duplicate=True)
        self.seen.add(key)
        self.accepted.append(message)
        return Accepted(id=len(self.accepted))

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        return None

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        self.feedback.append((platform, chat_id, platform_message_id, value))
        return True

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        return None

    async def wait_accepted(self, count: int = 1, within: float = 5.0) -> list[IncomingMessage]:
        async with asyncio.timeout(within):
            while len(self.accepted) < count:
                await asyncio.sleep(0.01)
        return self.accepted


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = await FakeBotApi().start()
    yield server
    await server.stop()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def adapter(
    api: FakeBotApi, sink: RecordingSink, tmp_path: Path
) -> AsyncIterator[TelegramAdapter]:
    telegram = TelegramAdapter(telegram_settings(api, tmp_path), sink)
    await telegram.start()
    yield telegram
    await telegram.stop()
    assert not api.rejected, api.rejected
