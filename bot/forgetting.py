"""The last traces of a forget: the request and its confirmation, gone once the user has it.

`/forget confirm` deletes everything about the user but itself, so that its confirmation
can be stored and delivered like any reply. Once that confirmation is sent (or can never
be), the request and the confirmation are deleted too, with the chat's empty
conversations: nothing of the user, not even the chat id, is left. A channel that shows
the conversation from the store (the web page) keeps the confirmation until the page has
read it, or at most `confirmation_hold` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from bot.models import Platform
from bot.ports.channels import Adapter
from bot.ports.store import Closing, Privacy, StoredMessage
from bot.tasks import TaskSet

log = logging.getLogger(__name__)


class Closer:
    """Deletes settled forget confirmations, at once or after their channel's hold."""

    def __init__(
        self, privacy: Privacy, adapters: Mapping[Platform, Adapter], tasks: TaskSet
    ) -> None:
        self._privacy = privacy
        self._adapters = adapters
        self._tasks = tasks
        self._timers: dict[int, asyncio.TimerHandle] = {}

    async def start(self) -> None:
        """Confirmations left from before a restart: closed now, or when their hold ends."""
        for closing in await self._privacy.confirmations():
            self._schedule(closing)

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def settled(self, reply: StoredMessage) -> None:
        """The courier is done with a confirmation (sent, refused for good, or waiting)."""
        self._schedule(Closing(platform=reply.platform, chat_id=reply.chat_id,
                               reply_id=reply.id, settled_at=datetime.now(UTC)))  # fmt: skip

    async def shown(self, platform: Platform, chat_id: str, reply_id: int) -> None:
        """The channel has shown the confirmation to the user."""
        await self._close(Closing(platform=platform, chat_id=chat_id, reply_id=reply_id,
                                  settled_at=datetime.now(UTC)))  # fmt: skip

    def _schedule(self, closing: Closing) -> None:
        adapter = self._adapters.get(closing.platform)
        hold = adapter.confirmation_hold if adapter is not None else 0.0
        left = hold - (datetime.now(UTC) - closing.settled_at).total_seconds()
        if left <= 0:
            self._tasks.spawn(self._close(closing))
            return
        if closing.reply_id not in self._timers:
            self._timers[closing.reply_id] = asyncio.get_running_loop().call_later(
                left, lambda: self._tasks.spawn(self._close(closing))
            )

    async def _close(self, closing: Closing) -> None:
        timer = self._timers.pop(closing.reply_id, None)
        if timer is not None:
            timer.cancel()
        try:
            closed = await self._privacy.close(
                closing.platform, closing.chat_id, closing.reply_id
            )
        except Exception:  # tried again at the next start
            log.exception("could not delete the confirmation of a forget")
            return
        if closed:
            log.info("the last traces of a forgotten %s chat are gone", closing.platform.value)
