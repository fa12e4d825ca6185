"""Load once, bounded threads, and a token stream that stops when the consumer leaves."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import aclosing

import pytest

from bot.engines.runtime import Bound, LazyModel, stream_in_thread
from bot.errors import EngineError, EngineUnavailable


async def test_concurrent_callers_share_one_load() -> None:
    calls: list[int] = []

    def load() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "model"

    lazy = LazyModel("m", load)
    started = time.perf_counter()
    results = await asyncio.gather(*(lazy.get() for _ in range(5)))
    assert results == ["model"] * 5
    assert calls == [1]
    assert time.perf_counter() - started < 0.6
    assert lazy.loaded and lazy.load_seconds is not None


async def test_failed_load_is_reported_and_retried() -> None:
    attempts: list[int] = []

    def load() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("disk hiccup")
        return "ok"

    lazy = LazyModel("m", load)
    with pytest.raises(EngineError, match="disk hiccup"):
        await lazy.get()
    assert lazy.last_error and "disk hiccup" in lazy.last_error
    assert await lazy.get() == "ok"
    assert lazy.last_error is None


async def test_missing_package_becomes_unavailable_with_hint() -> None:
    def load() -> str:
        raise ImportError("no", name="somepkg")

    with pytest.raises(EngineUnavailable, match="somepkg") as caught:
        await LazyModel("m", load, hint="pip install somepkg").get()
    assert caught.value.hint == "pip install somepkg"


async def test_bound_limits_parallel_work() -> None:
    bound = Bound(2)
    active, peak = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1

    await asyncio.gather(*(bound.run(work) for _ in range(6)))
    assert peak == 2


async def test_work_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    assert await Bound(1).run(threading.get_ident) != loop_thread


def counting(stopped: threading.Event, produced: list[int]) -> Iterator[int]:
    try:
        for i in range(1000):
            produced.append(i)
            time.sleep(0.01)
            yield i
    finally:
        stopped.set()


async def test_stream_yields_in_order() -> None:
    def gen() -> Iterator[str]:
        yield from "abc"

    assert [x async for x in stream_in_thread(gen, Bound(1))] == ["a", "b", "c"]


async def test_stream_error_reaches_the_consumer() -> None:
    def gen() -> Iterator[str]:
        yield "a"
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        [x async for x in stream_in_thread(gen, Bound(1))]


async def test_cancelling_the_consumer_stops_the_worker() -> None:
    stopped, produced = threading.Event(), list[int]()
    bound = Bound(1)
    seen: list[int] = []

    async def consume() -> None:
        async with aclosing(stream_in_thread(lambda: counting(stopped, produced), bound)) as s:
            async for item in s:
                seen.append(item)

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()  # the generator was closed before the task ended
    count = len(produced)
    await asyncio.sleep(0.05)
    assert len(produced) == count
    assert not bound.semaphore().locked()


async def test_breaking_out_early_stops_the_worker() -> None:
    stopped, produced = threading.Event(), list[int]()
    async with aclosing(stream_in_thread(lambda: counting(stopped, produced), Bound(1))) as s:
        async for item in s:
            if item == 2:
                break
    assert stopped.is_set()
    assert len(produced) <= 4
