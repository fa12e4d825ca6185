"""A worker: answers the jobs the queue hands it, and keeps the queue and deliveries healthy.

Four loops, for as long as the worker runs: the queue's worker (jobs, heartbeats); the
interrupts other processes send (/stop, a newer message); giving back the jobs of
workers that died; and delivering the replies whose sender died (their claim ran out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.dispatcher import Dispatcher
from bot.ports.queue import WorkQueue

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        dispatcher: Dispatcher,
        queue: WorkQueue,
        *,
        concurrency: int,
        recover_every: float,
        resume_every: float,
    ) -> None:
        self.dispatcher = dispatcher
        self.queue = queue
        self.concurrency = concurrency
        self.recover_every = recover_every
        self.resume_every = resume_every
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.queue.open()
        await self.dispatcher.start()
        work = self.queue.work(self.dispatcher.answer_job, concurrency=self.concurrency)
        self._tasks = [
            asyncio.create_task(work, name="omnivox-jobs"),
            asyncio.create_task(self.queue.interrupts(self.dispatcher.interrupted),
                                name="omnivox-interrupts"),
            asyncio.create_task(_every(self.recover_every, self.queue.recover_stalled),
                                name="omnivox-stalled"),
            asyncio.create_task(_every(self.resume_every, self.dispatcher.courier.resume),
                                name="omnivox-resume"),
        ]  # fmt: skip

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self.dispatcher.stop()
        await self.queue.close()


async def _every(seconds: float, step: Callable[[], Awaitable[object]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await step()
        except Exception:
            log.exception("%s failed; trying again in %.0f s", step, seconds)
