"""A talk session over a real migrated SQLite store, the real Silero VAD, and the test
doubles of the engines; real recorded speech played to it 20 ms at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest

from bot.access import AccessPolicy
from bot.models import Platform
from bot.ports.engines import Engines
from bot.ports.talk import Caller
from bot.talk.calls import Talk
from bot.talk.session import TalkSession
from storage.store import SqlStore
from tests.fakes.engines import fake_engines
from tests.support.settings import make_settings
from tests.support.talk_peer import silence

IN_FRAME = 320  # 20 ms at 16 kHz
CALLER = Caller(platform=Platform.WEB, chat_id="web-talk", user_id="web-talk")


def loud(frames: list[np.ndarray]) -> list[bool]:
    return [bool(np.abs(f.astype(np.int32)).max() > 300) for f in frames]


class Conversation:
    """Plays audio to a session in real time and keeps what it plays back and emits."""

    def __init__(self, session: TalkSession, events: list[dict[str, Any]]) -> None:
        self.session = session
        self.events = events
        self.out: list[np.ndarray] = []

    async def play(self, audio: np.ndarray) -> None:
        for start in range(0, len(audio), IN_FRAME):
            self.session.hear(audio[start : start + IN_FRAME])
            self.out.append(self.session.frame())
            await asyncio.sleep(0.02)

    async def until(self, done: Callable[[], bool], within: float = 20.0) -> None:
        async with asyncio.timeout(within):
            while not done():
                await self.play(silence(0.1))

    def states(self) -> list[str]:
        return [e["state"] for e in self.events if e["type"] == "state"]

    def transcripts(self, role: str, *, final: bool = True) -> list[str]:
        return [e["text"] for e in self.events
                if e["type"] == "transcript" and e["role"] == role and e["final"] == final]


@pytest.fixture
def engines() -> Engines:
    return fake_engines()


@pytest.fixture
def talk_settings() -> dict[str, Any]:
    return {}


@pytest.fixture
async def talk(store: SqlStore, engines: Engines, talk_settings: dict[str, Any]
               ) -> AsyncIterator[Talk]:  # fmt: skip
    settings = make_settings(**talk_settings)
    found = Talk(store, engines, settings.conversation, settings.talk,
                 AccessPolicy(settings.access))  # fmt: skip
    yield found
    await found.close_all()


@pytest.fixture
async def conversation(talk: Talk) -> Conversation:
    events: list[dict[str, Any]] = []
    session = await talk.open(CALLER, events.append)
    session.start()
    return Conversation(session, events)
