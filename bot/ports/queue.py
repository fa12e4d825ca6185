"""The job queue that carries accepted messages from gateways to workers.

The inbox row and its job are written in one transaction (`Inbox.accept`), so a message
is never accepted without a job nor queued without a row. Jobs of one chat share a lock:
the queue runs them one at a time, in the order they were accepted, whichever worker
takes them. A job whose worker stopped sending heartbeats is given back to the queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

# A job's work: answer (or finish delivering) the inbox message with this id.
JobHandler = Callable[[int], Awaitable[None]]
# Told of an interrupt: (chat key, reason, the id of the message that asked for it).
InterruptHandler = Callable[[str, str, int], None]


@dataclass(frozen=True, slots=True)
class QueueDepth:
    waiting: int  # jobs not started yet
    running: int
    oldest_wait: float  # seconds the oldest waiting job has waited (0 when none)


class WorkQueue(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def work(self, handle: JobHandler, *, concurrency: int) -> None:
        """Run jobs until cancelled; a job cut short by the cancel goes back to the queue."""
        ...

    async def recover_stalled(self) -> int:
        """Give back to the queue the jobs of workers whose heartbeat stopped; how many."""
        ...

    async def interrupt(self, chat_key: str, reason: str, asked_by: int) -> None:
        """Tell every worker to cancel the chat's generation of a message before `asked_by`."""
        ...

    async def interrupts(self, handle: InterruptHandler) -> None:
        """Listen for interrupts until cancelled."""
        ...

    async def ping(self) -> None:
        """Raises when the queue cannot be reached or has no tables."""
        ...

    async def depth(self) -> QueueDepth: ...
