"""Flood control: groups get Telegram's 20 messages a minute; private chats are not paced."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from adapters.telegram.ratelimit import GROUP_PER_MINUTE, ChatRateLimiter

GROUP = -1001234567890


async def _sent_at(*args: Any, **kwargs: Any) -> float:
    return time.monotonic()


async def _send(limiter: ChatRateLimiter, chat_id: Any, endpoint: str = "sendMessage") -> float:
    data = {"chat_id": chat_id, "text": "hi"}
    sent: float = await limiter.process_request(_sent_at, (), {}, endpoint, data, None)
    return sent


@pytest.fixture
async def limiter() -> ChatRateLimiter:
    limiter = ChatRateLimiter()
    await limiter.initialize()
    return limiter


async def _span(limiter: ChatRateLimiter, sends: list[tuple[Any, str]]) -> float:
    """Seconds from the first call's start to the last call's, sent one after another."""
    began = time.monotonic()
    last = began
    for chat_id, endpoint in sends:
        last = await _send(limiter, chat_id, endpoint)
    return last - began


@pytest.mark.parametrize("chat_id", [4242, "4242"], ids=["int", "string"])
async def test_a_private_chat_answers_at_once(limiter: ChatRateLimiter, chat_id: Any) -> None:
    """Five replies in a row in one private chat: only the overall 30/s spaces them."""
    sends = [(chat_id, "sendMessage"), (chat_id, "sendVoice")] * 2 + [(chat_id, "sendMessage")]
    assert await _span(limiter, sends) < 0.5  # 4 gaps of 1/30 s, with room for a busy machine


@pytest.mark.parametrize(
    ("chat_id", "endpoint"),
    [(GROUP, "sendMessage"), (GROUP, "editMessageText"), ("@channel", "sendMessage")],
    ids=["group message", "group edit", "channel username"],
)
async def test_a_group_gets_twenty_messages_a_minute(
    limiter: ChatRateLimiter, chat_id: Any, endpoint: str
) -> None:
    began = time.monotonic()
    burst = await _span(limiter, [(chat_id, endpoint)] * GROUP_PER_MINUTE)
    twenty_first = await _send(limiter, chat_id, endpoint) - began
    assert burst < 2.0  # a minute's allowance goes out at once (at the overall 30/s)
    assert twenty_first >= 2.5  # then one every 60 s / 20 = 3 s after the first


async def test_typing_in_a_group_does_not_use_up_its_messages(limiter: ChatRateLimiter) -> None:
    await _span(limiter, [(GROUP, "sendChatAction")] * (GROUP_PER_MINUTE + 5))
    assert await _span(limiter, [(GROUP, "sendMessage")] * GROUP_PER_MINUTE) < 2.0


async def test_groups_are_paced_apart(limiter: ChatRateLimiter) -> None:
    await _span(limiter, [(GROUP, "sendMessage")] * GROUP_PER_MINUTE)
    assert await _span(limiter, [(GROUP - 1, "sendMessage"), (4242, "sendMessage")]) < 0.5


async def test_idle_groups_are_forgotten_past_the_cap() -> None:
    limiter = ChatRateLimiter(group_per_minute=600, max_groups=2)  # drains in 0.1 s per message
    await limiter.initialize()
    for group in (-1, -2, -3):
        await _send(limiter, group)
    await asyncio.sleep(0.15)  # -1, -2 and -3 have drained: idle now
    await _send(limiter, -4)
    assert set(limiter._groups) == {-4}
    for group in (-5, -6, -7):  # past the cap again, but -4..-6 were just used: all kept
        await _send(limiter, group)
    assert set(limiter._groups) == {-4, -5, -6, -7}
