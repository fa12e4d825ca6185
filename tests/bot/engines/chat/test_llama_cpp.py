"""The embedded llama.cpp chat model answers, streams, and stops when cancelled."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import Any

import pytest

from bot.models import ChatTurn

pytestmark = pytest.mark.slow


async def test_answers_and_streams(llama: Any) -> None:
    pieces = [p async for p in llama.stream(
        [ChatTurn(role="user", text="What is the capital of France?")], max_tokens=40
    )]
    assert len(pieces) >= 2
    answer = "".join(pieces).strip()
    assert answer
    assert llama.accepts_images is False


async def test_cancel_stops_the_generation_promptly(llama: Any) -> None:
    turns = [ChatTurn(role="user", text="Tell me a very long story about a dragon.")]
    received: list[str] = []

    async def consume() -> None:
        async with aclosing(llama.stream(turns, max_tokens=400)) as pieces:
            async for piece in pieces:
                received.append(piece)

    task = asyncio.create_task(consume())
    while len(received) < 3:
        await asyncio.sleep(0.01)
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Stops within a token or two; generous because other work may share the two cores.
    assert time.perf_counter() - started < 5.0
    # The engine is free again at once: a new request is served.
    again = [p async for p in llama.stream([ChatTurn(role="user", text="Hi")], max_tokens=5)]
    assert again
