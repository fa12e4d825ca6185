"""The SQLite writer queue: one at a time, inbox first, cancellation passes the turn on."""

from __future__ import annotations

import asyncio

from storage.writer_queue import WriterQueue


async def test_urgent_writers_go_first_and_only_one_writes_at_a_time() -> None:
    queue = WriterQueue()
    order: list[str] = []
    inside = 0

    async def write(name: str, urgent: bool) -> None:
        nonlocal inside
        async with queue.turn(urgent=urgent):
            inside += 1
            assert inside == 1
            order.append(name)
            await asyncio.sleep(0.01)
            inside -= 1

    first = asyncio.create_task(write("first", False))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(write(f"normal-{n}", False)) for n in range(2)]
    await asyncio.sleep(0)
    urgent = asyncio.create_task(write("inbox", True))
    await asyncio.gather(first, *waiting, urgent)
    assert order == ["first", "inbox", "normal-0", "normal-1"]


async def test_a_cancelled_waiter_does_not_block_the_queue() -> None:
    queue = WriterQueue()
    done: list[str] = []

    async def write(name: str) -> None:
        async with queue.turn():
            await asyncio.sleep(0.01)
            done.append(name)

    holder = asyncio.create_task(write("a"))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(write("b"))
    after = asyncio.create_task(write("c"))
    await asyncio.sleep(0)
    doomed.cancel()
    await asyncio.gather(holder, after, return_exceptions=True)
    assert done == ["a", "c"]
