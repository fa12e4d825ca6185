"""An update that cannot be handled is recorded as failed and acknowledged; the next flow.

Each recorded update under data/malformed/ is tried in long polling and in webhook mode:
before, polling never moved past it (every later message waited) and the webhook answered
500, so Telegram would resend it forever.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, web

from adapters.telegram.adapter import WEBHOOK_PATH, TelegramAdapter
from bot.models import Platform
from tests.fakes.sink import RecordingSink
from tests.fakes.telegram_server import FakeBotApi
from tests.support.ports import free_port
from tests.support.settings import telegram_adapter, telegram_settings
from tests.support.telegram_payloads import load

REJECTED = {
    "malformed/lone_surrogate": "message.text is not valid Unicode (a lone surrogate)",
    "malformed/text_number": "message.text is not a string",
    "malformed/no_message_id": "message.message_id is missing",
    "malformed/voice_without_file_id": "message.voice.file_id is missing",
    "malformed/from_string": "message.from is not an object",
    "malformed/photo_strings": "message.photo[0] is not an object",
    "malformed/no_chat": "message.chat is missing",
}
IGNORED = ("malformed/business_message",)  # an update kind we do not read: acknowledged as is


@pytest.fixture
async def webhook(
    api: FakeBotApi, sink: RecordingSink, tmp_path: Path
) -> AsyncIterator[TelegramAdapter]:
    """The adapter in webhook mode, its route served on 127.0.0.1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    telegram = telegram_adapter(telegram_settings(api, tmp_path, telegram_webhook_url=url), sink)
    app = web.Application()
    app.add_routes(telegram.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await telegram.start()
    yield telegram
    await telegram.stop()
    await runner.cleanup()
    assert not api.rejected, api.rejected


@pytest.mark.parametrize("variant", list(REJECTED))
async def test_polling_records_it_and_moves_on(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink, variant: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="adapters.telegram.adapter"):
        bad = api.push(load(variant))
        good = api.push(load("text", text="still here"))
        await api.wait_confirmed(good["update_id"])
    assert sink.rejected == [(Platform.TELEGRAM, bad, REJECTED[variant])]
    assert [m.text for m in sink.accepted] == ["still here"]
    (line,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(bad["update_id"]) in line.getMessage() and REJECTED[variant] in line.getMessage()


@pytest.mark.parametrize("variant", list(REJECTED))
async def test_webhook_records_it_and_acknowledges(
    webhook: TelegramAdapter, api: FakeBotApi, sink: RecordingSink, variant: str
) -> None:
    assert await api.deliver_webhook(load(variant)) == 200
    assert await api.deliver_webhook(load("text", text="still here")) == 200
    ((platform, raw, reason),) = sink.rejected
    assert (platform, reason) == (Platform.TELEGRAM, REJECTED[variant])
    assert isinstance(raw, dict) and raw["message"].keys() == load(variant)["message"].keys()
    assert [m.text for m in sink.accepted] == ["still here"]


@pytest.mark.parametrize("variant", IGNORED)
async def test_polling_acknowledges_what_it_does_not_read(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink, variant: str
) -> None:
    api.push(load(variant))
    good = api.push(load("text", text="still here"))
    await api.wait_confirmed(good["update_id"])
    assert not sink.rejected and [m.text for m in sink.accepted] == ["still here"]


@pytest.mark.parametrize("variant", IGNORED)
async def test_webhook_acknowledges_what_it_does_not_read(
    webhook: TelegramAdapter, api: FakeBotApi, sink: RecordingSink, variant: str
) -> None:
    assert await api.deliver_webhook(load(variant)) == 200
    assert not sink.rejected and not sink.accepted


async def test_a_batch_with_bad_updates_in_the_middle_flows(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    api.push(load("text", message_id=1, text="one"))
    for variant in REJECTED:
        api.push(load(variant))
    last = api.push(load("text", message_id=2, text="two"))
    await api.wait_confirmed(last["update_id"])
    assert [m.text for m in sink.accepted] == ["one", "two"]
    assert len(sink.rejected) == len(REJECTED)


async def test_webhook_body_nested_too_deep_is_a_bad_request(
    webhook: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    assert api.webhook is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": api.webhook["secret_token"],
               "Content-Type": "application/json"}  # fmt: skip
    body = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    async with (
        ClientSession() as session,
        session.post(api.webhook["url"], data=body, headers=headers) as response,
    ):
        assert response.status == 400
    assert await api.deliver_webhook(load("text", text="still here")) == 200
    assert [m.text for m in sink.accepted] == ["still here"]


async def test_webhook_asks_for_a_resend_when_the_inbox_fails(
    webhook: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    """A store that failed for now is not a bad update: Telegram is asked to send it again."""
    sink.failures = 1
    update = load("text", text="hello")
    assert await api.deliver_webhook(update) == 500
    assert await api.deliver_webhook(update) == 200
    assert not sink.rejected and [m.text for m in sink.accepted] == ["hello"]
