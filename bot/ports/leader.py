"""Leadership: one process of many does a job that must not run twice (Telegram polling)."""

from __future__ import annotations

from typing import Protocol


class Leadership(Protocol):
    async def acquire(self) -> None:
        """Return once this process leads (waits while another one does)."""
        ...

    async def lost(self) -> None:
        """Return when this process no longer leads (its hold on the database broke)."""
        ...

    async def release(self) -> None: ...
