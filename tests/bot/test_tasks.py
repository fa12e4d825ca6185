"""Background tasks stay referenced until done, say when they settle, and stop on cancel."""

from __future__ import annotations

import asyncio

from bot.tasks import TaskSet


async def test_a_task_is_held_until_done_and_settles() -> None:
    tasks = TaskSet()
    release = asyncio.Event()
    tasks.spawn(release.wait())
    assert tasks
    release.set()
    await asyncio.wait_for(tasks.settled.wait(), 1)
    await asyncio.sleep(0)
    assert not tasks


async def test_cancel_stops_and_awaits_every_task() -> None:
    tasks = TaskSet()
    stopped: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append(name)

    tasks.spawn(forever("a"))
    tasks.spawn(forever("b"))
    await asyncio.sleep(0)
    await tasks.cancel()
    assert sorted(stopped) == ["a", "b"] and not tasks
