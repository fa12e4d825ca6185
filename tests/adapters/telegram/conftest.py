"""A TelegramAdapter talking to the fake Bot API, handing what it parses to a recording sink."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram.adapter import TelegramAdapter
from tests.fakes.sink import RecordingSink
from tests.fakes.telegram_server import FakeBotApi
from tests.support.settings import telegram_adapter, telegram_settings


@pytest.fixture
async def adapter(
    api: FakeBotApi, sink: RecordingSink, tmp_path: Path
) -> AsyncIterator[TelegramAdapter]:
    telegram = telegram_adapter(telegram_settings(api, tmp_path), sink)
    await telegram.start()
    yield telegram
    await telegram.stop()
    assert not api.rejected, api.rejected
