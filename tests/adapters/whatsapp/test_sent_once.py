"""Nothing sent twice, nothing lost: unclear sends, parts, and replies the window shut out.

The real dispatcher and SQLite store behind the real adapter and its webhook route,
talking to the fake Graph server; status reports are posted as Meta posts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.whatsapp.adapter import WEBHOOK_PATH, WhatsAppAdapter
from adapters.whatsapp.graph import RetryPolicy
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.models import Platform, Reply
from bot.ports.store import Direction, State
from storage.store import SqlStore
from tests.fakes.engines import fake_engines
from tests.fakes.graph_server import FakeGraph
from tests.support.settings import changed, make_dispatcher, wa_settings, whatsapp_adapter
from tests.support.whatsapp_bodies import USER, signed, wa_body, wa_message, wa_status, wa_value

FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.05)
TIMEOUT = 0.4  # the Graph client's timeout here (30 s in production)
UNCLEAR_WAIT = 1.0  # how long a report is awaited after an unclear send (60 s in production)
LONG_AGO = str(int(time.time()) - 25 * 3600)  # outside the 24-hour window


class Wired:
    def __init__(self, dispatcher: Dispatcher, adapter: WhatsAppAdapter, http: TestClient):
        self.dispatcher, self.adapter, self.http = dispatcher, adapter, http

    async def post(self, body: dict[str, Any]) -> None:
        raw, headers = signed(body)
        response = await self.http.post(WEBHOOK_PATH, data=raw, headers=headers)
        assert response.status == 200, await response.text()

    async def write(self, wamid: str, text: str, *, ts: str | None = None) -> None:
        await self.post(wa_body(wa_value([wa_message("text", wamid, {"body": text}, ts=ts)])))

    async def report(self, sent: dict[str, Any], status: str = "sent", **extra: Any) -> None:
        callback = sent.get("biz_opaque_callback_data")
        item = wa_status(sent["_wamid"], status, callback=callback, **extra)
        await self.post(wa_body(wa_value(statuses=[item])))


@contextlib.asynccontextmanager
async def wired(graph: FakeGraph, store: SqlStore, settings: Settings) -> AsyncIterator[Wired]:
    dispatcher = make_dispatcher(store, fake_engines(), settings)
    adapter = whatsapp_adapter(
        settings, dispatcher, store.history, retry=FAST, timeout=TIMEOUT,
        unclear_wait=UNCLEAR_WAIT,
    )  # fmt: skip
    dispatcher.add_adapter(adapter)
    app = web.Application()
    app.add_routes(adapter.routes())
    async with TestClient(TestServer(app)) as http:
        await adapter.start()
        await dispatcher.start()
        try:
            yield Wired(dispatcher, adapter, http)
        finally:
            await dispatcher.stop()
            await adapter.stop()


def settings_for(graph: FakeGraph, db_url: str, **values: Any) -> Settings:
    return changed(wa_settings(graph, database_url=db_url, warm_engines=False), **values)


def sent_texts(graph: FakeGraph, words: str) -> list[dict[str, Any]]:
    return [m for m in graph.sent if m["type"] == "text" and words in m["text"]["body"]]


async def replies(store: SqlStore) -> list[tuple[str | None, State]]:
    listed = await store.history.messages(Platform.WHATSAPP, USER)
    return [(m.text, m.state) for m in listed if m.direction is Direction.OUT]


async def test_a_send_whatsapp_took_but_never_answered_goes_out_once(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    trials, doubled = 5, 0
    async with wired(graph, store, settings_for(graph, db_url)) as app:
        for n in range(trials):
            graph.stall_sends(TIMEOUT * 3, take=True)
            await app.write(f"wamid.T{n}", f"question {n}")
            await graph.wait_for(lambda g, n=n: bool(sent_texts(g, f"question {n}")))
            await asyncio.sleep(TIMEOUT * 1.5)  # the client has given up on its answer
            [taken] = sent_texts(graph, f"question {n}")
            assert taken["biz_opaque_callback_data"].startswith("omnivox:")
            await app.report(taken)  # Meta's status report carries our tag
            await app.dispatcher.idle()
        await asyncio.sleep(UNCLEAR_WAIT + 2.5)  # past the wait and a retry sweep
        await app.dispatcher.idle()
        doubled = sum(len(sent_texts(graph, f"question {n}")) > 1 for n in range(trials))
    print(f"\nsends taken but timed out: {trials}, replies doubled: {doubled}")
    assert doubled == 0
    assert [state for _, state in await replies(store)] == [State.DELIVERED] * trials


async def test_a_send_whatsapp_never_took_goes_again_after_the_wait(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    async with wired(graph, store, settings_for(graph, db_url)) as app:
        graph.stall_sends(TIMEOUT * 3, take=False)
        began = time.monotonic()
        await app.write("wamid.N1", "lost in transit")
        await graph.wait_for(lambda g: bool(sent_texts(g, "lost in transit")), within=15)
        took = time.monotonic() - began
        await app.dispatcher.idle()
    assert len(sent_texts(graph, "lost in transit")) == 1
    assert took >= UNCLEAR_WAIT  # not before the report had its chance
    assert [state for _, state in await replies(store)] == [State.DELIVERED]


async def test_a_reply_the_window_shut_out_goes_when_the_user_writes_again(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    settings = settings_for(graph, db_url, whatsapp_reply_template="answer_ready",
                            whatsapp_reply_template_language="en_US")  # fmt: skip
    async with wired(graph, store, settings) as app:
        await app.write("wamid.OLD", "asked long ago", ts=LONG_AGO)  # a late redelivery
        await app.dispatcher.idle()
        assert sent_texts(graph, "asked long ago") == []
        [template] = [m for m in graph.sent if m["type"] == "template"]
        assert template["template"] == {"name": "answer_ready", "language": {"code": "en_US"}}
        assert [state for _, state in await replies(store)] == [State.WAITING]
        await app.write("wamid.NEW", "hello again")
        await app.dispatcher.idle()
        await app.write("wamid.NEWER", "and once more")
        await app.dispatcher.idle()
    bodies = [m["text"]["body"] for m in graph.sent if m["type"] == "text"]
    assert bodies == ["You said: asked long ago", "You said: hello again",
                      "You said: and once more"]  # fmt: skip
    assert [m["type"] for m in graph.sent].count("template") == 1
    assert [state for _, state in await replies(store)] == [State.DELIVERED] * 3


async def test_a_window_closed_report_keeps_the_reply_for_the_next_message(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    """Meta takes the send, then reports 131047: the reply waits, and goes once, later."""
    async with wired(graph, store, settings_for(graph, db_url)) as app:
        await app.write("wamid.A", "first")
        await app.dispatcher.idle()
        [first] = sent_texts(graph, "first")
        await app.report(first, "failed", errors=[{"code": 131047, "title": "Re-engagement"}])
        assert [state for _, state in await replies(store)] == [State.WAITING]
        await app.write("wamid.B", "second")
        await app.dispatcher.idle()
    assert len(sent_texts(graph, "first")) == 2  # the refused one, and the one that went
    assert len(sent_texts(graph, "second")) == 1
    assert [state for _, state in await replies(store)] == [State.DELIVERED] * 2


async def test_a_waiting_reply_survives_a_restart(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    settings = settings_for(graph, db_url)
    async with wired(graph, store, settings) as app:
        await app.write("wamid.OLD", "before the restart", ts=LONG_AGO)
        await app.dispatcher.idle()
    second = SqlStore.from_url(db_url)
    try:
        async with wired(graph, second, settings) as app:
            await app.dispatcher.idle()
            assert sent_texts(graph, "before the restart") == []
            await app.write("wamid.AFTER", "after the restart")
            await app.dispatcher.idle()
    finally:
        await second.close()
    bodies = [m["text"]["body"] for m in graph.sent if m["type"] == "text"]
    assert bodies == ["You said: before the restart", "You said: after the restart"]


async def test_a_long_reply_resent_sends_only_its_missing_part(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    long = "word " * 1000  # over 4096 characters: two WhatsApp messages
    async with wired(graph, store, settings_for(graph, db_url)) as app:
        await app.write("wamid.L1", "tell me a lot")
        await app.dispatcher.idle()
        [asked] = [m for m in await store.history.messages(Platform.WHATSAPP, USER)
                   if m.direction is Direction.IN]  # fmt: skip
        reply_id = await store.outbox.add_reply(asked.id, Reply(text=long), in_context=True)
        graph.fail_http("messages", 503, times=FAST.attempts, after=1)
        await app.dispatcher.courier.deliver(reply_id)
        await app.dispatcher.courier.deliver(reply_id)  # the retry, without its 10 s wait
    parts = [m for m in graph.sent[1:] if m["type"] == "text"]
    assert len(parts) == 2 and parts[0]["text"]["body"] != parts[1]["text"]["body"]
    assert [m["biz_opaque_callback_data"].rsplit(":", 1)[1] for m in parts] == ["0", "1"]
    row = await store.inbox.get(reply_id)
    assert row is not None and row.state is State.DELIVERED


async def test_a_send_taken_as_the_process_died_is_not_sent_again_after_the_restart(
    graph: FakeGraph, store: SqlStore, db_url: str
) -> None:
    settings = settings_for(graph, db_url)
    async with wired(graph, store, settings) as app:
        graph.stall_sends(TIMEOUT * 3, take=True)  # Meta takes it; its answer never comes
        await app.write("wamid.K1", "asked before the crash")
        await graph.wait_for(lambda g: bool(sent_texts(g, "asked before the crash")))
    # the process is gone in the middle of the send (nothing after it ran)
    second = SqlStore.from_url(db_url)
    try:
        async with wired(graph, second, settings) as app:
            await asyncio.sleep(0.3)  # the restarted process resumes the reply
            [taken] = sent_texts(graph, "asked before the crash")
            await app.report(taken)  # Meta's report on the send, carrying our tag
            await asyncio.sleep(UNCLEAR_WAIT + 1.5)  # past the wait and a retry sweep
            await app.dispatcher.idle()
    finally:
        await second.close()
    assert len(sent_texts(graph, "asked before the crash")) == 1
    assert [state for _, state in await replies(store)] == [State.DELIVERED]
