"""WhatsApp calls at the protocol level: signed `calls` webhooks into the real app (fake
engines, the real Silero VAD), call actions out to the fake Graph server, and an aiortc
peer in the caller's place that plays recorded speech in real time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.whatsapp.adapter import WEBHOOK_PATH
from adapters.whatsapp.calls import parse_calls
from bot.app import Omnivox, serving
from bot.models import Platform
from bot.ports.engines import Engines
from bot.ports.store import Direction
from tests.fakes.engines import (
    FakeChat,
    FakeDescriber,
    FakeSynthesizer,
    FakeTranscriber,
    fake_engines,
)
from tests.fakes.graph_server import FakeGraph
from tests.support.ports import free_port
from tests.support.settings import wa_settings
from tests.support.talk_peer import TalkPeer, silence, speech
from tests.support.whatsapp_bodies import BUSINESS_PHONE_ID, USER, USER_NAME, signed, wa_body

pytestmark = pytest.mark.corpus
NOTICE = "You are talking to an AI assistant."


def call_value(call: dict[str, Any], *, contact: bool = True) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": BUSINESS_PHONE_ID},
        "calls": [call],
    }
    if contact:
        value["contacts"] = [{"profile": {"name": USER_NAME}, "wa_id": USER}]
    return value


def connect(call_id: str, sdp: str, caller: str = USER) -> dict[str, Any]:
    return wa_body(call_value({
        "id": call_id, "to": "15550001111", "from": caller, "event": "connect",
        "timestamp": "1718000000", "direction": "USER_INITIATED",
        "session": {"sdp_type": "offer", "sdp": sdp},
    }), field_name="calls")  # fmt: skip


def terminate(call_id: str, caller: str = USER) -> dict[str, Any]:
    return wa_body(call_value({
        "id": call_id, "to": "15550001111", "from": caller, "event": "terminate",
        "timestamp": "1718000060", "direction": "USER_INITIATED", "status": "COMPLETED",
        "start_time": "1718000001", "end_time": "1718000060", "duration": 59,
    }, contact=False), field_name="calls")  # fmt: skip


class Line:
    def __init__(self, app: Omnivox, url: str, session: aiohttp.ClientSession,
                 graph: FakeGraph) -> None:  # fmt: skip
        self.app, self.url, self.session, self.graph = app, url, session, graph

    async def post(self, body: dict[str, Any]) -> int:
        raw, headers = signed(body)
        async with self.session.post(self.url, data=raw, headers=headers) as response:
            return response.status

    async def answered(self, call_id: str) -> str:
        await self.graph.wait_for(lambda g: "accept" in g.actions(call_id) or
                                  "reject" in g.actions(call_id))  # fmt: skip
        accept = [a for a in self.graph.call_actions
                  if a["call_id"] == call_id and a["action"] == "accept"]  # fmt: skip
        return str(accept[0]["session"]["sdp"]) if accept else ""


@contextlib.asynccontextmanager
async def line(graph: FakeGraph, tmp_path: Path, engines: Engines | None = None,
               **values: Any) -> AsyncIterator[Line]:  # fmt: skip
    settings = wa_settings(graph, database_url=f"sqlite+aiosqlite:///{tmp_path}/wa.db",
                           data_dir=str(tmp_path), port=free_port(), warm_engines=False,
                           talk_idle_timeout=3, **values)  # fmt: skip
    async with serving(settings, engines or fake_engines()) as app, \
            aiohttp.ClientSession() as session:  # fmt: skip
        url = f"http://127.0.0.1:{settings.server.port}{WEBHOOK_PATH}"
        yield Line(app, url, session, graph)


async def test_a_call_is_accepted_greeted_answered_and_ended(
    graph: FakeGraph, tmp_path: Path
) -> None:
    async with line(graph, tmp_path, first_contact_notice=NOTICE) as wa:
        caller = TalkPeer(events=False)
        offer = connect("wacid.CALL1", await caller.offer())
        assert await wa.post(offer) == 200
        assert await wa.post(offer) == 200  # Meta redelivers: handled once
        answer = await wa.answered("wacid.CALL1")
        assert graph.actions("wacid.CALL1") == ["pre_accept", "accept"]
        await caller.accept(answer)
        try:
            await caller.until(lambda: any(loud for _, loud in caller.heard))  # the greeting
            await caller.until(lambda: not caller.heard[-1][1], within=20)
            await caller.say(speech("de_picovoice_leopard.wav"))
            rows: list[Any] = []

            async def answered() -> bool:
                rows[:] = await wa.app.store.history.messages(Platform.WHATSAPP, USER)
                return any(r.direction is Direction.OUT for r in rows)

            async with asyncio.timeout(30):
                while not await answered():
                    await caller.say(silence(0.2))
            assert rows[0].transcript == "what is the weather like today"
            assert (rows[1].text or "").startswith("You said: what is the weather like today")
            assert wa.app.talk.active == 1
            assert await wa.post(terminate("wacid.CALL1")) == 200  # the caller hangs up
            await caller.until(lambda: wa.app.talk.active == 0)
            assert "terminate" not in graph.actions("wacid.CALL1")  # Meta ended it already
        finally:
            await caller.close()


async def test_a_caller_who_speaks_over_the_answer_stops_it(
    graph: FakeGraph, tmp_path: Path
) -> None:
    long = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 13))
    engines = Engines(transcriber=FakeTranscriber(long), describer=FakeDescriber(),
                      chat=FakeChat(), synthesizer=FakeSynthesizer())  # fmt: skip
    async with line(graph, tmp_path, engines) as wa:
        caller = TalkPeer(events=False)
        await wa.post(connect("wacid.CALL3", await caller.offer()))
        await caller.accept(await wa.answered("wacid.CALL3"))
        try:
            await caller.say(speech("de_picovoice_leopard.wav"))
            await caller.until(lambda: any(loud for _, loud in caller.heard[-5:]))
            await caller.say(silence(1.0))
            began = time.monotonic()
            await caller.say(speech("fr_picovoice_leopard.wav"))  # speech from ~1.1 s in
            heard = caller.loud_since(began)
            assert any(heard[:40]) and not any(heard[100:280])  # playing, then stopped
            rows = await wa.app.store.history.messages(Platform.WHATSAPP, USER)
            assert rows[1].direction is Direction.OUT and (rows[1].text or "").endswith("—")
        finally:
            await caller.close()


async def test_a_caller_who_goes_silent_is_hung_up_at_meta(
    graph: FakeGraph, tmp_path: Path
) -> None:
    async with line(graph, tmp_path) as wa:
        caller = TalkPeer(events=False)
        await wa.post(connect("wacid.CALL2", await caller.offer()))
        await caller.accept(await wa.answered("wacid.CALL2"))
        try:
            await caller.say(silence(0.5))
            caller.mic.paused = True  # the phone lost its network
            await graph.wait_for(lambda g: "terminate" in g.actions("wacid.CALL2"), within=15)
            assert wa.app.talk.active == 0
        finally:
            await caller.close()


async def test_callers_not_allowed_or_over_the_bound_are_rejected(
    graph: FakeGraph, tmp_path: Path
) -> None:
    async with line(graph, tmp_path, allowed_users=f"whatsapp:{USER}", max_calls=1) as wa:
        stranger, first, second = (TalkPeer(events=False) for _ in range(3))
        try:
            await wa.post(connect("wacid.STRANGER", await stranger.offer(), caller="15559990000"))
            assert await wa.answered("wacid.STRANGER") == ""
            assert graph.actions("wacid.STRANGER") == ["reject"]
            await wa.post(connect("wacid.FIRST", await first.offer()))
            assert await wa.answered("wacid.FIRST")
            await wa.post(connect("wacid.SECOND", await second.offer()))
            assert await wa.answered("wacid.SECOND") == ""
            assert graph.actions("wacid.SECOND") == ["reject"]
            await wa.post(connect("wacid.BAD", "v=0 this is no offer"))
            await graph.wait_for(lambda g: g.actions("wacid.BAD") == ["reject"])
        finally:
            for peer in (stranger, first, second):
                await peer.close()


def test_call_events_are_parsed_and_malformed_ones_skipped() -> None:
    body = connect("wacid.X", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
    body["entry"][0]["changes"].append({"field": "calls", "value": {"calls": [
        {"event": "connect"}, {"id": "wacid.Y", "event": "terminate"}, "nonsense"]}})
    events = parse_calls(body)
    assert [(e.call_id, e.event, e.caller, e.name) for e in events] == [
        ("wacid.X", "connect", USER, USER_NAME)]
    assert events[0].sdp is not None and events[0].sdp.startswith("v=0")
    assert parse_calls(terminate("wacid.X"))[0].status == "COMPLETED"


def test_odd_contact_shapes_do_not_stop_a_call() -> None:
    body = connect("wacid.Z", "v=0\r\n")
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"wa_id": USER, "profile": "not an object"}, {"wa_id": ["x"]}, 7]
    events = parse_calls(body)
    assert [(e.call_id, e.caller, e.name) for e in events] == [("wacid.Z", USER, None)]
