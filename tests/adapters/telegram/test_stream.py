"""Streaming a reply by editing one message, at most once per interval."""

from __future__ import annotations

import asyncio
import itertools

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.stream import STOPPED_MARK, TelegramReplyStream
from tests.fakes.telegram_server import FakeBotApi


def _stream(adapter: TelegramAdapter, interval: float = 0.2) -> TelegramReplyStream:
    return TelegramReplyStream(adapter.text, "4242", "11", interval=interval, first_delay=0.1)


async def test_quick_answer_is_one_message(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    stream = adapter.open_stream("4242", "11")
    await stream.update("You")
    await stream.update("You said")
    ids = await stream.finish("You said **hi**")
    (call,) = api.calls_of("sendMessage")
    assert call.params["text"] == "You said <b>hi</b>" and call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "👍"
    assert not api.calls_of("editMessageText") and len(ids) == 1


async def test_slow_answer_is_edited_at_most_once_per_interval(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _stream(adapter)
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "**twelve**"]
    for n in range(1, len(words) + 1):
        await stream.update(" ".join(words[:n]))
        await asyncio.sleep(0.05)
    ids = await stream.finish(" ".join(words))
    first = api.calls_of("sendMessage")[0]
    assert "parse_mode" not in first.params  # partial Markdown goes out plain
    edits = api.calls_of("editMessageText")
    times = [first.at] + [e.at for e in edits[:-1]]
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))
    final = edits[-1].params
    assert final["parse_mode"] == "HTML" and final["text"].endswith("<b>twelve</b>")
    assert "reply_markup" in final and len(ids) == 1


async def test_abort_marks_the_partial_answer(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    stream = _stream(adapter)
    await stream.update("Half an answer")
    await asyncio.sleep(0.2)
    await stream.abort()
    assert api.calls_of("editMessageText")[-1].params["text"] == "Half an answer" + STOPPED_MARK


async def test_abort_before_anything_was_shown_sends_nothing(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = adapter.open_stream("4242", "11")
    await stream.update("Half")
    await stream.abort()
    await asyncio.sleep(0.1)
    assert not api.calls_of("sendMessage") and not api.calls_of("editMessageText")


async def test_long_stream_continues_in_a_second_message(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _stream(adapter, interval=0.05)
    text = "A sentence that keeps going. " * 200
    await stream.update(text[:2000])
    await asyncio.sleep(0.15)
    ids = await stream.finish(text)
    assert len(ids) == 2 and len(api.calls_of("sendMessage")) == 2
    assert "reply_parameters" not in api.calls_of("sendMessage")[1].params


async def test_failed_partial_update_does_not_lose_the_final_text(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _stream(adapter)
    api.fail("sendMessage", 500)
    await stream.update("partial")
    await asyncio.sleep(0.2)
    ids = await stream.finish("final words")
    assert len(ids) == 1 and api.calls_of("sendMessage")[-1].params["text"] == "final words"
