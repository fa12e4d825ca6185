"""Long polling that confirms an update to Telegram only after it is in our inbox.

PTB's Updater puts fetched updates on a queue and confirms them with the next getUpdates
(and once more on shutdown) whether or not a handler has run, so a crash could lose them.
Here the offset moves past an update only after `handle` returned for it; if `handle`
fails, the same updates are fetched again after a pause (the inbox ignores repeats).
`handle` returns for an update it cannot read too (it records it as failed), so one bad
update never holds up the ones behind it.

Updates are fetched as the JSON Telegram sends, not as PTB `Update` objects: `Bot.get_updates`
builds those for the whole batch and raises when one of them does not fit its model (a sender
that is a string, a voice without a file id), which would stop polling at that update for
good. The call goes through the same request object PTB uses for getUpdates, with its
parameters in the query string (one of the ways the Bot API takes them), so PTB's timeouts
and its mapping of errors (a rejected token, a conflict, flood control) still apply.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.request import BaseRequest

from adapters.telegram.errors import retry_after_seconds

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
MAX_BACKOFF = 30.0


class Poller:
    def __init__(
        self,
        request: BaseRequest,
        bot_url: str,
        handle: Handler,
        *,
        timeout: int = 25,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
    ) -> None:
        """`request` is the bot's getUpdates request object, `bot_url` its `Bot.base_url`."""
        self._request = request
        self._url = f"{bot_url}/getUpdates"
        self._handle = handle
        self._timeout = timeout
        self._allowed = json.dumps(list(allowed_updates))
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
                await self._fetch(wait=0, limit=1)

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
        updates = await self._fetch(wait=self._timeout)
        for update in updates if isinstance(updates, list) else ():
            await self._handle(update)
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                self._offset = update_id + 1

    async def _fetch(self, *, wait: int, limit: int | None = None) -> Any:
        """getUpdates, waiting up to `wait` seconds for an update to arrive."""
        query: dict[str, Any] = {"timeout": wait, "allowed_updates": self._allowed}
        if self._offset is not None:
            query["offset"] = self._offset
        if limit is not None:
            query["limit"] = limit
        read_timeout = self._request.read_timeout
        return await self._request.post(
            f"{self._url}?{urlencode(query)}",
            read_timeout=None if read_timeout is None else read_timeout + wait,
        )
