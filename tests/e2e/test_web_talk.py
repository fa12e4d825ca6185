"""The Talk button's protocol, at the WebRTC level: an aiortc peer plays recorded speech in
real time through the web signaling to omnivox (test doubles of the engines, the real
Silero VAD) and gets transcripts, state and spoken answers back; the turns are stored."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Omnivox, serving
from bot.ports.engines import Engines
from tests.fakes.engines import (
    FakeChat,
    FakeDescriber,
    FakeSynthesizer,
    FakeTranscriber,
    fake_engines,
)
from tests.support.ports import free_port
from tests.support.settings import make_settings
from tests.support.talk_peer import TalkPeer, silence, speech

pytestmark = pytest.mark.corpus
LONG = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 13))
CHAT = "web-talk-e2e"

Client = tuple[aiohttp.ClientSession, str, Omnivox]


async def running(tmp_path: Path, engines: Engines, **values: Any) -> AsyncIterator[Client]:
    port = free_port()
    settings = make_settings(host="127.0.0.1", port=port, data_dir=str(tmp_path),
                             database_url=f"sqlite+aiosqlite:///{tmp_path}/talk.db",
                             warm_engines=False, **values)  # fmt: skip
    async with serving(settings, engines) as app, aiohttp.ClientSession() as session:
        yield session, f"http://127.0.0.1:{port}", app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    async for found in running(tmp_path, fake_engines()):
        yield found


@pytest.fixture
async def long_answers(tmp_path: Path) -> AsyncIterator[Client]:
    engines = Engines(transcriber=FakeTranscriber(LONG), describer=FakeDescriber(),
                      chat=FakeChat(), synthesizer=FakeSynthesizer())  # fmt: skip
    async for found in running(tmp_path, engines, talk_idle_timeout=2):
        yield found


async def call(client: Client, peer: TalkPeer) -> dict[str, Any]:
    session, base, _ = client
    offer = {"type": "offer", "sdp": await peer.offer()}
    async with session.post(f"{base}/api/chats/{CHAT}/talk", json=offer) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
    assert answer["type"] == "answer" and answer["talk_id"]
    await peer.accept(answer["sdp"])
    return answer


async def stored(client: Client) -> list[dict[str, Any]]:
    session, base, _ = client
    async with session.get(f"{base}/api/chats/{CHAT}/messages") as response:
        return list(await response.json())


async def test_a_spoken_turn_is_answered_aloud_and_kept(client: Client) -> None:
    peer = TalkPeer()
    answer = await call(client, peer)
    try:
        await peer.say(speech("de_picovoice_leopard.wav"))
        await peer.until(lambda: bool(peer.transcripts("assistant")))
        await peer.say(silence(0.5))
        assert peer.transcripts("user") == ["what is the weather like today"]
        assert peer.transcripts("assistant") == ["You said: what is the weather like today"]
        assert peer.states()[:3] == ["listening", "thinking", "speaking"]
        assert any(loud for _, loud in peer.heard)  # the answer came back as sound
        session, base, app = client
        async with session.delete(f"{base}/api/talk/{answer['talk_id']}") as response:
            assert response.status == 200
        await peer.until(lambda: app.talk.active == 0)
    finally:
        await peer.close()
    rows = await stored(client)
    assert [(r["direction"], r["kind"]) for r in rows] == [("in", "voice"), ("out", "text")]
    assert rows[0]["transcript"] == "what is the weather like today"
    assert rows[1]["text"] == "You said: what is the weather like today"
    assert rows[0]["voice_url"] is None and rows[1]["voice_url"] is None  # no audio kept


async def test_speaking_over_the_answer_stops_it(long_answers: Client) -> None:
    peer = TalkPeer()
    await call(long_answers, peer)
    try:
        await peer.say(speech("de_picovoice_leopard.wav"))
        await peer.until(lambda: "speaking" in peer.states())
        await peer.say(silence(1.0))
        began = time.monotonic()
        peer.mic.say(speech("fr_picovoice_leopard.wav"))  # speech from ~1.1 s in
        await asyncio.sleep(2.5)
        heard = peer.loud_since(began)
        assert any(heard[:40]) and not any(heard[-40:])  # playing, then stopped
        await peer.mic.drained()
        await peer.until(lambda: len(peer.transcripts("user")) == 2)
    finally:
        await peer.close()
    rows = await stored(long_answers)
    assert rows[1]["direction"] == "out" and rows[1]["text"].endswith("—")
    assert len(rows[1]["text"]) < len(LONG) - 40


async def test_a_peer_that_vanishes_mid_answer_is_hung_up_and_freed(long_answers: Client) -> None:
    _, _, app = long_answers
    peer = TalkPeer()
    await call(long_answers, peer)
    try:
        await peer.say(speech("de_picovoice_leopard.wav"))
        await peer.until(lambda: "speaking" in peer.states())
        peer.mic.paused = True  # no more packets, no goodbye
        await peer.until(lambda: app.talk.active == 0 and not app.calls.calls, within=15)
    finally:
        await peer.close()
    rows = await stored(long_answers)
    assert rows[1]["direction"] == "out" and rows[1]["text"].endswith("—")


async def test_a_session_that_never_sends_audio_times_out(long_answers: Client) -> None:
    _, _, app = long_answers
    peer = TalkPeer(send_audio=False)
    await call(long_answers, peer)
    try:
        await peer.until(lambda: app.talk.active == 1)
        await peer.until(lambda: app.talk.active == 0 and not app.calls.calls, within=15)
    finally:
        await peer.close()
    assert await stored(long_answers) == []
