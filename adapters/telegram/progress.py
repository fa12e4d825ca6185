"""Progress on Telegram: one message, "transcribing… 40 %", edited as it goes, then deleted.

Edits are plain text (nothing to format) and already spaced out by the core; a failed
edit or delete only costs a stale line, so failures are logged and dropped.
"""

from __future__ import annotations

import contextlib
import logging

from telegram.error import TelegramError

from adapters.telegram.outgoing import TextSender
from bot.errors import DeliveryError

log = logging.getLogger(__name__)


class TelegramProgress:
    def __init__(self, sender: TextSender, chat_id: str, reply_to_id: str | None) -> None:
        self._sender = sender
        self._chat_id = chat_id
        self._reply_to_id = reply_to_id
        self._message_id: int | None = None

    async def update(self, text: str, fraction: float) -> None:
        if self._message_id is None:
            self._message_id = await self._sender.send(
                self._chat_id, text, reply_to_id=self._reply_to_id, formatted=False
            )
        else:
            await self._sender.edit(self._chat_id, self._message_id, text, formatted=False)

    async def close(self) -> None:
        if self._message_id is None:
            return
        with contextlib.suppress(TelegramError, DeliveryError):
            await self._sender.bot.delete_message(self._chat_id, self._message_id)
