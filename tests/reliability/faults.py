"""Platform faults on a share of sends: omnivox wired in this process to fake platforms
that fail 20 % of the calls that put a message in front of the user.

Telegram (long polling against the fake Bot API) meets 429 with retry_after, bare 500s,
answers that come only after the client gave up, and connection resets; WhatsApp (signed
webhooks, the fake Graph API) meets 130429, 500s, timeouts — some of them with the
message delivered all the same — and resets. Meta's status reports are posted back as
Meta posts them. The real dispatcher, SQLite store and adapters; the Graph client's
timeout and the wait for a report after an unclear send are short here (30 s and 60 s in
production) so a run takes seconds; Telegram's timeout is the `TELEGRAM_REQUEST_TIMEOUT`
setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.telegram.adapter import TelegramAdapter
from adapters.whatsapp.adapter import WEBHOOK_PATH
from storage.database import upgrade
from storage.store import SqlStore
from tests.fakes.chaos import Chaos
from tests.fakes.engines import fake_engines
from tests.fakes.graph_server import FakeGraph
from tests.fakes.telegram_server import SENDS, FakeBotApi
from tests.reliability.rig import Sent, Tally, count, platform_replies, telegram_update
from tests.reliability.rig import whatsapp_body as wa_delivery
from tests.support.ports import free_port
from tests.support.settings import make_dispatcher, make_settings, whatsapp_adapter
from tests.support.whatsapp_bodies import APP_SECRET, VERIFY_TOKEN, signed, wa_body, wa_value
from tests.support.whatsapp_bodies import wa_status as status_item

TELEGRAM_FAULTS = ("429", "500", "timeout", "reset")
WHATSAPP_FAULTS = ("130429", "500", "timeout", "timeout_taken", "reset")
CLIENT_TIMEOUT = 1.0


@dataclass
class Calls:
    """Send calls (failed ones included) per reply that reached the user."""

    mean: float
    most: int
    faults: dict[str, int]


class Faulty:
    def __init__(self, api: FakeBotApi, graph: FakeGraph, url: str) -> None:
        self.api, self.graph, self.url = api, graph, url
        self._reported = 0

    async def send(self, http: aiohttp.ClientSession, item: Sent) -> None:
        if item.chat.channel == "telegram":
            self.api.push(telegram_update(item))
            return
        raw, headers = signed(wa_delivery(item))
        async with http.post(self.url, data=raw, headers=headers) as response:
            assert response.status == 200, await response.text()

    async def report(self, http: aiohttp.ClientSession) -> None:
        """Meta's "sent" report for each message it took, echoing our callback data."""
        while True:
            while self._reported < len(self.graph.sent):
                sent = self.graph.sent[self._reported]
                self._reported += 1
                item = status_item(sent["_wamid"], "sent", recipient=sent["to"],
                                   callback=sent.get("biz_opaque_callback_data"))  # fmt: skip
                raw, headers = signed(wa_body(wa_value(statuses=[item])))
                async with http.post(self.url, data=raw, headers=headers) as response:
                    assert response.status == 200
            await asyncio.sleep(0.05)

    def calls(self) -> Calls:
        per_reply: Counter[str] = Counter()
        for call in self.api.calls:
            if call.method.lower() in SENDS:
                quoted = (call.params.get("reply_parameters") or {}).get("message_id")
                per_reply[f"telegram:{quoted}"] += 1
        for body in self.graph.attempts:
            per_reply[f"whatsapp:{(body.get('context') or {}).get('message_id')}"] += 1
        faults = Counter[str]()
        for channel, chaos in (("telegram", self.api.chaos), ("whatsapp", self.graph.chaos)):
            if chaos is not None:
                faults.update({f"{channel} {kind}": n for kind, n in chaos.drawn.items()})
        values = list(per_reply.values()) or [0]
        return Calls(statistics.fmean(values), max(values), dict(faults))


@contextlib.asynccontextmanager
async def faulty(
    workdir: Path, *, rate: float, seed: int, kinds: tuple[tuple[str, ...], tuple[str, ...]]
) -> AsyncIterator[Faulty]:
    api, graph = await FakeBotApi().start(), FakeGraph()
    await graph.start()
    db = f"sqlite+aiosqlite:///{workdir / 'omnivox.db'}"
    settings = make_settings(
        telegram_bot_token=api.token, telegram_api_base_url=api.base_url,
        telegram_file_base_url=api.base_file_url, telegram_rate_limiter=False,
        telegram_request_timeout=CLIENT_TIMEOUT,
        whatsapp_access_token=graph.token, whatsapp_phone_number_id=graph.phone_number_id,
        whatsapp_app_secret=APP_SECRET, whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_graph_base_url=graph.base_url, whatsapp_api_version=graph.version,
        database_url=db, data_dir=str(workdir), warm_engines=False,
        rate_limit_per_minute=100_000, new_message_interrupts=False,
    )  # fmt: skip
    await asyncio.to_thread(upgrade, db)
    store = SqlStore.from_url(db)
    dispatcher = make_dispatcher(store, fake_engines(), settings)
    telegram = TelegramAdapter(settings.telegram, dispatcher, limits=settings.limits)
    whatsapp = whatsapp_adapter(settings, dispatcher, store.history, timeout=CLIENT_TIMEOUT,
                                unclear_wait=3 * CLIENT_TIMEOUT)  # fmt: skip
    app = web.Application()
    app.add_routes(whatsapp.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api.chaos = Chaos(rate, kinds[0], seed=seed, stall=CLIENT_TIMEOUT + 1)
    graph.chaos = Chaos(rate, kinds[1], seed=seed + 1, stall=CLIENT_TIMEOUT + 1)
    rig = Faulty(api, graph, f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
    for adapter in (telegram, whatsapp):
        dispatcher.add_adapter(adapter)
        await adapter.start()
    await dispatcher.start()
    http = aiohttp.ClientSession()
    reporter = asyncio.create_task(rig.report(http))
    try:
        yield rig
    finally:
        reporter.cancel()
        await asyncio.gather(reporter, return_exceptions=True)
        await dispatcher.stop()
        for adapter in (telegram, whatsapp):
            await adapter.stop()
        await http.close()
        await runner.cleanup()
        await store.close()
        await api.stop()
        await graph.stop()


async def run_faults(
    workdir: Path, items: list[Sent], *, rate: float = 0.2, seed: int = 0, within: float = 120,
    kinds: tuple[tuple[str, ...], tuple[str, ...]] = (TELEGRAM_FAULTS, WHATSAPP_FAULTS),
) -> tuple[Tally, Calls]:
    """Send `items` (Telegram and WhatsApp chats only) with `rate` of the sends failing in
    one of `kinds` (Telegram's, WhatsApp's); wait until all are answered (or `within`),
    then a quiet spell for duplicates."""
    async with (
        faulty(workdir, rate=rate, seed=seed, kinds=kinds) as rig,
        aiohttp.ClientSession() as http,
    ):
        for item in items:
            await rig.send(http, item)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if count(items, platform_replies(rig.api, rig.graph)).lost == 0:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(3 * CLIENT_TIMEOUT + 1)  # an unclear send's wait runs out
        tally = count(items, platform_replies(rig.api, rig.graph))
        return tally, rig.calls()


def platform_only(items: list[Sent]) -> list[Sent]:
    return [item for item in items if item.chat.channel != "web"]


def describe(tally: Tally, calls: Calls) -> dict[str, Any]:
    return {"lost": tally.lost, "doubled": tally.doubled, "out_of_order": tally.out_of_order,
            "sent": tally.sent, "calls_per_reply": round(calls.mean, 2),
            "most_calls_for_one_reply": calls.most, "faults": calls.faults}  # fmt: skip
