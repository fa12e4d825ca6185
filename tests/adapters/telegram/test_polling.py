"""Long polling against the fake Bot API: an update is confirmed only once it was handled."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from telegram import Bot

from adapters.telegram.polling import Poller
from adapters.telegram.request import AiohttpRequest
from tests.fakes.telegram_server import FakeBotApi


class Handler:
    """Records what it is handed (and when); can be held open or told to fail."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, float]] = []
        self.updates: list[Any] = []
        self.gate: asyncio.Event | None = None
        self.fail_on: set[int] = set()

    async def __call__(self, update: Mapping[str, Any]) -> None:
        self.updates.append(update)
        update_id = int(update["update_id"])
        self.seen.append((update_id, time.monotonic()))
        if self.gate is not None:
            await self.gate.wait()
        if update_id in self.fail_on:
            self.fail_on.discard(update_id)
            raise RuntimeError("database is locked")

    @property
    def ids(self) -> list[int]:
        return [update_id for update_id, _ in self.seen]


@pytest.fixture
async def updates(api: FakeBotApi) -> AsyncIterator[AiohttpRequest]:
    """The getUpdates request object of a bot talking to the fake Bot API."""
    updates = AiohttpRequest(read_timeout=5)
    async with Bot(api.token, base_url=api.base_url, request=AiohttpRequest(),
                   get_updates_request=updates):  # fmt: skip
        yield updates


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
async def poller(
    api: FakeBotApi, updates: AiohttpRequest, handler: Handler
) -> AsyncIterator[Poller]:
    poller = Poller(updates, f"{api.base_url}{api.token}", handler, timeout=1)
    yield poller
    await poller.stop()


def _text_update(api: FakeBotApi, text: str) -> int:
    chat = {"id": 4242, "type": "private", "first_name": "Ada"}
    sender = {"id": 4242, "is_bot": False, "first_name": "Ada"}
    message = {"message_id": 11, "date": 1735732800, "chat": chat, "from": sender, "text": text}
    return int(api.push({"message": message})["update_id"])


async def test_offset_moves_only_after_handling(
    api: FakeBotApi, poller: Poller, handler: Handler
) -> None:
    handler.gate = asyncio.Event()
    first, second = _text_update(api, "one"), _text_update(api, "two")
    poller.start()
    while not handler.seen:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    assert api.confirmed_offset <= first and handler.ids == [first]
    handler.gate.set()
    await api.wait_confirmed(second)
    assert handler.ids == [first, second]


async def test_stop_while_handling_confirms_nothing_of_it(
    api: FakeBotApi, poller: Poller, handler: Handler
) -> None:
    handler.gate = asyncio.Event()  # never opened: the handler is cut off by stop
    update_id = _text_update(api, "one")
    poller.start()
    while not handler.seen:
        await asyncio.sleep(0.01)
    await poller.stop()
    assert api.confirmed_offset <= update_id


@pytest.mark.parametrize("failing", [0, 1], ids=["first fails", "second fails"])
async def test_failed_handling_fetches_the_same_updates_after_a_pause(
    api: FakeBotApi, poller: Poller, handler: Handler, failing: int
) -> None:
    updates = [_text_update(api, "one"), _text_update(api, "two")]
    handler.fail_on = {updates[failing]}
    poller.start()
    await api.wait_confirmed(updates[1])
    # what was handled before the failure is not handed over again
    assert handler.ids == [*updates[: failing + 1], *updates[failing:]]
    failed_at, again_at = (at for update_id, at in handler.seen if update_id == updates[failing])
    assert again_at - failed_at >= 0.9


async def test_stop_confirms_what_was_handled(
    api: FakeBotApi, poller: Poller, handler: Handler
) -> None:
    poller.start()
    await api.wait_for("getUpdates")
    update_id = _text_update(api, "one")
    while not handler.seen:
        await asyncio.sleep(0.01)
    await poller.stop()
    assert api.confirmed_offset == update_id + 1


async def test_retry_after_waits_as_long_as_telegram_asks(api: FakeBotApi, poller: Poller) -> None:
    api.fail("getUpdates", 429, retry_after=2)
    poller.start()
    first, second = await api.wait_for("getUpdates", count=2, within=5)
    assert second.at - first.at >= 2.0  # not the 1 s pause after other failures


async def test_rejected_token_stops_polling(
    api: FakeBotApi, poller: Poller, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("getUpdates", 401, "Unauthorized", times=10)  # what Telegram answers a bad token
    with caplog.at_level(logging.ERROR, logger="adapters.telegram.polling"):
        poller.start()
        await api.wait_for("getUpdates")
        await asyncio.sleep(1.5)  # past the pause after which other failures poll again
    assert len(api.calls_of("getUpdates")) == 1
    assert "rejected the bot token" in caplog.text


async def test_updates_are_handed_over_as_telegram_sent_them(
    api: FakeBotApi, poller: Poller, handler: Handler
) -> None:
    """The JSON itself, not a client library's model of it (which drops and adds fields)."""
    pushed = api.push({"message": {"message_id": 1, "chat": {"id": 1}, "colour": "red"}})
    poller.start()
    await api.wait_confirmed(pushed["update_id"])
    assert handler.updates == [pushed]
