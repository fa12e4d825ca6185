"""A chat's replies arrive in the order they were written, even when one of them has to
wait for a retry (found by tests/reliability/test_platform_faults.py: under faults on a
fifth of the sends, 11 of 90 replies overtook the one before them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.delivery import Courier
from bot.errors import DeliveryError
from bot.models import IncomingMessage, Platform, Reply
from bot.ports.store import State
from bot.tasks import TaskSet
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel

Make = Callable[..., IncomingMessage]


async def _question(store: SqlStore, message: Make, text: str, chat: str = "chat-1") -> int:
    accepted = await store.inbox.accept(message(text, chat_id=chat), in_context=True)
    assert accepted.id is not None
    return accepted.id


async def test_a_reply_waits_behind_an_earlier_one_being_retried(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = Courier(store.outbox, store.parts, {Platform.CLI: channel}, TaskSet())
    first = await store.inbox.get(await _question(store, message, "one"))
    second = await store.inbox.get(await _question(store, message, "two"))
    other = await store.inbox.get(await _question(store, message, "elsewhere", chat="chat-2"))
    assert first and second and other
    channel.failures.append(DeliveryError("Bad Gateway", retry_after=0.01))
    await courier.answer(first, Reply(text="answer one"), in_context=True)
    await courier.answer(second, Reply(text="answer two"), in_context=True)
    await courier.answer(other, Reply(text="answer elsewhere"), in_context=True)
    assert [s.text for s in channel.sent] == ["answer elsewhere"]  # other chats go on
    rows = await store.history.messages(Platform.CLI, "chat-1")
    waiting = next(r for r in rows if r.text == "answer one")
    await courier.deliver(waiting.id)  # its retry comes due
    for _ in range(100):
        if len(channel.sent) == 3:
            break
        await asyncio.sleep(0.01)
    assert [s.text for s in channel.sent] == ["answer elsewhere", "answer one", "answer two"]
    rows = await store.history.messages(Platform.CLI, "chat-1")
    assert [r.state for r in rows] == [State.DELIVERED] * 4


async def test_a_reply_written_while_the_held_ones_go_waits_its_turn(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = Courier(store.outbox, store.parts, {Platform.CLI: channel}, TaskSet())
    questions = [await store.inbox.get(await _question(store, message, f"q{n}")) for n in range(3)]
    assert all(questions)
    channel.failures.append(DeliveryError("Bad Gateway", retry_after=0.01))
    for n in range(2):
        await courier.answer(questions[n], Reply(text=f"answer {n}"), in_context=True)
    rows = await store.history.messages(Platform.CLI, "chat-1")
    await courier.deliver(next(r for r in rows if r.text == "answer 0").id)  # its retry
    # the reply held behind it is on its way; a new one comes before it has gone
    await courier.answer(questions[2], Reply(text="answer 2"), in_context=True)
    for _ in range(100):
        if len(channel.sent) == 3:
            break
        await asyncio.sleep(0.01)
    assert [s.text for s in channel.sent] == ["answer 0", "answer 1", "answer 2"]
