"""A MessageSink that records what adapters hand the core, and can be told to misbehave."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.models import IncomingMessage, Platform
from bot.ports.store import Accepted


@dataclass
class RecordingSink:
    """`gate` holds accept open; `failures` makes that many accepts raise; replies whose
    platform ids are in `known_replies` take feedback (None: every reply is known)."""

    accepted: list[IncomingMessage] = field(default_factory=list)
    statuses: list[tuple[str, str, str | None]] = field(default_factory=list)
    tags: list[str | None] = field(default_factory=list)
    shown_replies: list[int] = field(default_factory=list)
    feedback: list[tuple[Platform, str, str, int]] = field(default_factory=list)
    rejected: list[tuple[Platform, object, str]] = field(default_factory=list)
    known_replies: set[str] | None = None
    last_incoming: datetime | None = field(default_factory=lambda: datetime.now(UTC))
    gate: asyncio.Event | None = None
    failures: int = 0
    seen: set[tuple[Platform, str, str]] = field(default_factory=set)

    async def accept(self, message: IncomingMessage) -> Accepted:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is locked")
        key = (message.platform, message.chat_id, message.message_id)
        if key in self.seen:
            return Accepted(id=None, duplicate=True)
        self.seen.add(key)
        self.accepted.append(message)
        return Accepted(id=len(self.accepted))

    async def reject(self, platform: Platform, raw: object, reason: str) -> None:
        self.rejected.append((platform, raw, reason))

    async def record_status(
        self,
        platform: Platform,
        platform_message_id: str,
        status: str,
        error: str | None,
        *,
        tag: str | None = None,
    ) -> None:
        self.statuses.append((platform_message_id, status, error))
        self.tags.append(tag)

    async def shown(self, platform: Platform, chat_id: str, message_id: int) -> None:
        self.shown_replies.append(message_id)

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        if self.known_replies is not None and platform_message_id not in self.known_replies:
            return False
        self.feedback.append((platform, chat_id, platform_message_id, value))
        return True

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        return self.last_incoming

    async def wait_accepted(self, count: int = 1, within: float = 5.0) -> list[IncomingMessage]:
        async with asyncio.timeout(within):
            while len(self.accepted) < count:
                await asyncio.sleep(0.01)
        return self.accepted
