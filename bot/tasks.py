"""Background tasks that are referenced until done, cancelled on stop, and waited for."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class TaskSet:
    """Holds every fire-and-forget task (so none is garbage-collected mid-run) and
    signals `settled` whenever one ends, for callers waiting until all is quiet."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.settled = asyncio.Event()

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str | None = None) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self.settled.set()

    def __bool__(self) -> bool:
        return bool(self._tasks)

    async def cancel(self) -> None:
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
