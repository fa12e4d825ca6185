"""Long polling that confirms an update to Telegram only after it is in our inbox.

PTB's Updater puts fetched updates on a queue and confirms them with the next getUpdates
(and once more on shutdown) whether or not a handler has run, so a crash could lose them.
Here the offset moves past an update only after `handle` returned for it; if `handle`
fails, the same updates are fetched again after a pause (the inbox ignores repeats).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from telegram import Bot
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from adapters.telegram.errors import retry_after_seconds

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
MAX_BACKOFF = 30.0


class Poller:
    def __init__(
        self,
        bot: Bot,
        handle: Handler,
        *,
        timeout: int = 25,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
    ) -> None:
        self._bot = bot
        self._handle = handle
        self._timeout = timeout
        self._allowed = list(allowed_updates)
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop fetching; confirm what was handled so a restart does not fetch it again."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._offset is not None:
            with contextlib.suppress(TelegramError):
                await self._bot.get_updates(offset=self._offset, timeout=0, limit=1,
                                            allowed_updates=self._allowed)  # fmt: skip

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                await self._poll_once()
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.error("Telegram rejected the bot token; polling stopped")
                return
            except RetryAfter as error:
                await asyncio.sleep(retry_after_seconds(error))
            except Exception as error:
                level = logging.ERROR if isinstance(error, Conflict) else logging.WARNING
                log.log(level, "Telegram polling: %s; again in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _poll_once(self) -> None:
        updates = await self._bot.get_updates(
            offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed
        )
        for update in updates:
            await self._handle(update.to_dict())
            self._offset = update.update_id + 1
