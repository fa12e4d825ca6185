"""Flood control: one message per period in a private chat; groups left to AIORateLimiter."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from adapters.telegram.ratelimit import ChatRateLimiter

PERIOD = 0.3


async def _sent_at(*args: Any, **kwargs: Any) -> float:
    return time.monotonic()


async def _send(limiter: ChatRateLimiter, chat_id: Any, endpoint: str = "sendMessage") -> float:
    data = {"chat_id": chat_id, "text": "hi"}
    sent: float = await limiter.process_request(_sent_at, (), {}, endpoint, data, None)
    return sent


@pytest.fixture
async def limiter() -> ChatRateLimiter:
    limiter = ChatRateLimiter(chat_period=PERIOD)
    await limiter.initialize()
    return limiter


async def _gap(limiter: ChatRateLimiter, first: tuple[Any, str], second: tuple[Any, str]) -> float:
    began = await _send(limiter, *first)
    return await _send(limiter, *second) - began


@pytest.mark.parametrize("chat_id", [4242, "4242"], ids=["int", "string"])
async def test_a_private_chat_gets_one_message_per_period(
    limiter: ChatRateLimiter, chat_id: Any
) -> None:
    assert await _gap(limiter, (chat_id, "sendMessage"), (chat_id, "sendVoice")) >= PERIOD * 0.9


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((-1001234567890, "sendMessage"), (-1001234567890, "sendMessage")),
        ((4242, "sendMessage"), (5151, "sendMessage")),
        ((4242, "sendChatAction"), (4242, "sendChatAction")),
        (("@channel", "sendMessage"), ("@channel", "sendMessage")),
    ],
    ids=["group", "two private chats", "not a message", "channel username"],
)
async def test_others_are_not_paced_by_it(
    limiter: ChatRateLimiter, first: tuple[Any, str], second: tuple[Any, str]
) -> None:
    assert await _gap(limiter, first, second) < PERIOD / 2


async def test_idle_chats_are_forgotten_past_the_cap() -> None:
    limiter = ChatRateLimiter(chat_period=0.1, max_chats=2)
    await limiter.initialize()
    for chat_id in (1, 2, 3):
        await _send(limiter, chat_id)
    await asyncio.sleep(0.15)  # 1, 2 and 3 are idle now
    await _send(limiter, 4)
    assert set(limiter._chats) == {4}
    for chat_id in (5, 6, 7):  # past the cap again, but 4..6 were just paced: all kept
        await _send(limiter, chat_id)
    assert set(limiter._chats) == {4, 5, 6, 7}
