"""Streaming a reply: an animated draft in a private chat, an edited message in a group."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.draft import DraftStream
from adapters.telegram.outgoing import TextSender
from adapters.telegram.request import AiohttpRequest
from adapters.telegram.stream import STOPPED_MARK, EditStream
from tests.fakes.telegram_server import FakeBotApi

USER, GROUP = "4242", "-1001234567890"


def _edits(adapter: TelegramAdapter, interval: float = 0.2) -> EditStream:
    return EditStream(adapter.text, GROUP, "11", interval=interval, first_delay=0.1)


def _draft(adapter: TelegramAdapter, interval: float = 0.2) -> DraftStream:
    return DraftStream(adapter.text, USER, "11", on_refused=adapter._no_drafts, interval=interval)


# private chats: drafts --------------------------------------------------------------------


async def test_private_chat_streams_a_draft_and_sends_one_message(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = adapter.open_stream(USER, "11")
    assert isinstance(stream, DraftStream)
    await stream.update("You said")
    await api.wait_for("sendMessageDraft")
    ids = await stream.finish("You said **hi**")
    (draft,) = api.drafts
    assert (draft.chat_id, draft.text) == (4242, "You said")
    (message,) = api.calls_of("sendMessage")
    assert message.params["text"] == "You said <b>hi</b>" and message.params["parse_mode"] == "HTML"
    assert message.params["reply_parameters"]["message_id"] == 11
    assert message.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "👍"
    assert not api.calls_of("editMessageText") and len(ids) == 1
    assert 4242 not in api.showing  # the message replaced the draft


async def test_first_words_show_at_once(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    """Before, nothing showed for the first second; the bound leaves room for a busy machine."""
    stream = adapter.open_stream(USER, "11")
    began = time.monotonic()
    await stream.update("Hello")
    (draft,) = await api.wait_for("sendMessageDraft", within=2)
    assert draft.at - began < 0.5
    await stream.finish("Hello there")


async def test_drafts_follow_the_text_at_most_once_per_interval(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _draft(adapter)
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    for n in range(1, len(words) + 1):
        await stream.update(" ".join(words[:n]))
        await asyncio.sleep(0.05)
    await stream.finish(" ".join(words))
    drafts = api.calls_of("sendMessageDraft")
    assert 2 <= len(drafts) <= 5
    assert all(b.at - a.at >= 0.19 for a, b in itertools.pairwise(drafts))
    assert len({d.params["draft_id"] for d in drafts}) == 1  # one draft, animated
    assert drafts[0].params["draft_id"] != 0
    assert api.calls_of("sendMessage")[-1].at > drafts[-1].at


async def test_each_reply_has_its_own_draft(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    for count, text in enumerate(("first", "second"), start=1):
        stream = adapter.open_stream(USER, "11")
        await stream.update(text)
        await api.wait_for("sendMessageDraft", count)
        await stream.finish(text)
    first, second = api.drafts
    assert first.draft_id != second.draft_id


async def test_a_draft_in_flight_lands_before_the_reply(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    api.fail("sendMessageDraft", 0, delay=0.3)
    stream = _draft(adapter)
    await stream.update("partial")
    await api.wait_for("sendMessageDraft")
    await stream.finish("final")
    assert api.calls_of("sendMessage")[0].at >= api.calls_of("sendMessageDraft")[0].at + 0.25
    assert 4242 not in api.showing  # no stale draft over the reply


async def test_abort_marks_the_draft_stopped(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    stream = _draft(adapter)
    await stream.update("Half an answer")
    await api.wait_for("sendMessageDraft")
    await stream.abort()
    assert api.drafts[-1].text == "Half an answer" + STOPPED_MARK
    assert not api.calls_of("sendMessage")


async def test_long_reply_drafts_the_part_being_written(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _draft(adapter, interval=0.05)
    text = "A sentence that keeps going. " * 200
    await stream.update(text)
    await api.wait_for("sendMessageDraft")
    ids = await stream.finish(text)
    assert len(api.drafts[-1].text) <= 4096 and text.strip().endswith(api.drafts[-1].text.strip())
    assert len(ids) == 2 and len(api.calls_of("sendMessage")) == 2
    assert "reply_parameters" not in api.calls_of("sendMessage")[1].params


async def test_failed_draft_does_not_lose_the_reply(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    api.fail("sendMessageDraft", 500)
    stream = _draft(adapter)
    await stream.update("partial")
    await api.wait_for("sendMessageDraft")
    ids = await stream.finish("final words")
    assert len(ids) == 1 and api.calls_of("sendMessage")[-1].params["text"] == "final words"
    assert adapter.drafts  # a server error says nothing about drafts being available


@pytest.mark.parametrize(
    ("status", "description"),
    [(404, "Not Found: method not found"), (400, "Bad Request: method is not available")],
    ids=["unknown method", "refused"],
)
async def test_refused_drafts_fall_back_to_edits(
    adapter: TelegramAdapter, api: FakeBotApi, status: int, description: str
) -> None:
    api.fail("sendMessageDraft", status, description, times=10)
    stream = _draft(adapter, interval=0.05)
    await stream.update("partial")
    await api.wait_for("sendMessageDraft")
    await stream.update("partial and more")
    await asyncio.sleep(0.2)
    assert len(api.calls_of("sendMessageDraft")) == 1  # not tried again for this reply
    await stream.finish("final")
    assert isinstance(adapter.open_stream(USER, "11"), EditStream)


# groups: edits ----------------------------------------------------------------------------


async def test_group_streams_by_editing(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    stream = adapter.open_stream(GROUP, "11")
    assert isinstance(stream, EditStream)
    await stream.update("You")
    ids = await stream.finish("You said **hi**")
    (call,) = api.calls_of("sendMessage")  # a quick answer is a single message
    assert call.params["text"] == "You said <b>hi</b>" and call.params["parse_mode"] == "HTML"
    assert not api.calls_of("sendMessageDraft") and len(ids) == 1


async def test_slow_answer_is_edited_at_most_once_per_interval(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _edits(adapter)
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
    stream = _edits(adapter)
    await stream.update("Half an answer")
    await asyncio.sleep(0.2)
    await stream.abort()
    assert api.calls_of("editMessageText")[-1].params["text"] == "Half an answer" + STOPPED_MARK


async def test_abort_before_anything_was_shown_sends_nothing(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = adapter.open_stream(GROUP, "11")
    await stream.update("Half")
    await stream.abort()
    await asyncio.sleep(0.1)
    assert not api.calls_of("sendMessage") and not api.calls_of("editMessageText")


async def test_long_stream_continues_in_a_second_message(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _edits(adapter, interval=0.05)
    text = "A sentence that keeps going. " * 200
    await stream.update(text[:2000])
    await asyncio.sleep(0.15)
    ids = await stream.finish(text)
    assert len(ids) == 2 and len(api.calls_of("sendMessage")) == 2
    assert "reply_parameters" not in api.calls_of("sendMessage")[1].params


async def test_failed_partial_update_does_not_lose_the_final_text(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    stream = _edits(adapter)
    api.fail("sendMessage", 500)
    await stream.update("partial")
    await asyncio.sleep(0.2)
    ids = await stream.finish("final words")
    assert len(ids) == 1 and api.calls_of("sendMessage")[-1].params["text"] == "final words"


@pytest.fixture
async def impatient(api: FakeBotApi) -> AsyncIterator[TextSender]:
    """A sender that gives up on an answer after 0.3 s."""
    async with Bot(api.token, base_url=api.base_url,
                   request=AiohttpRequest(read_timeout=0.3)) as bot:  # fmt: skip
        yield TextSender(bot)


async def test_partial_message_that_timed_out_is_not_sent_again(
    impatient: TextSender, api: FakeBotApi
) -> None:
    """Telegram may have taken it: sending the part again could leave two in the chat."""
    api.fail("sendMessage", 0, delay=1.0, taken=True)
    stream = EditStream(impatient, GROUP, "11", interval=0.05, first_delay=0.0)
    await stream.update("partial")
    await api.wait_for("sendMessage")
    await asyncio.sleep(0.5)
    await stream.update("partial and more")
    await asyncio.sleep(0.3)
    assert len(api.calls_of("sendMessage")) == 1
    await stream.finish("final")
    assert [c.params["text"] for c in api.calls_of("sendMessage")] == ["partial", "final"]
