"""A reply in a private chat, streamed into an animated draft, then sent as one message.

`sendMessageDraft` (Bot API 9.3+) is made for replies being generated: the chat shows the
draft as it grows, changes to the same draft id are animated, and nothing stays in the chat
until the final `sendMessage`. So the first words can go out as soon as the model writes
them, a draft that fails or times out costs nothing, and the reply is a single message
rather than one message edited many times.

A draft lasts 30 seconds unless updated; a stopped answer's draft is marked stopped and left
to expire. Where drafts are refused (a local Bot API server too old to know them), the
adapter is told once and streams by editing a message from then on.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable

from telegram.error import BadRequest, InvalidToken, TelegramError

from adapters.telegram.format import split_text
from adapters.telegram.markup import keyboard
from adapters.telegram.outgoing import TextSender, with_plain_fallback
from adapters.telegram.stream import STOPPED_MARK, PacedStream
from bot.errors import DeliveryError

log = logging.getLogger(__name__)

DRAFT_INTERVAL = 0.5  # two updates a second keep the animation smooth and the bot far from 30/s


class DraftStream(PacedStream):
    def __init__(
        self,
        sender: TextSender,
        chat_id: str,
        reply_to_id: str | None,
        *,
        on_refused: Callable[[], None],
        interval: float = DRAFT_INTERVAL,
    ) -> None:
        super().__init__(interval=interval, first_delay=0.0)
        self._sender = sender
        self._chat_id = int(chat_id)
        self._reply_to_id = reply_to_id
        self._on_refused = on_refused
        self._draft_id = secrets.randbelow(2**31 - 1) + 1  # non-zero, one per reply
        self._shown = ""
        self._refused = False

    async def finish(self, text: str, *, feedback_for: int | None = None) -> list[str]:
        """The whole reply as messages of its own, with 👍/👎; the draft gives way to them."""
        await self._cancel_pending()
        async with self._lock:  # a draft in flight lands first, so it cannot follow the reply
            return await self._sender.send_all(
                str(self._chat_id), text, reply_to_id=self._reply_to_id,
                markup=keyboard(feedback_for=feedback_for, feedback=True),
            )  # fmt: skip

    async def abort(self) -> None:
        await self._cancel_pending()
        async with self._lock:  # after a draft in flight, so it is the one marked stopped
            if not self._shown or self._refused:
                return
            with contextlib.suppress(DeliveryError, TelegramError):
                await self._draft(self._shown + STOPPED_MARK, formatted=False)

    async def _show_partial(self, text: str) -> None:
        if self._refused:
            return
        chunks = split_text(text)
        if not chunks:
            return
        try:
            await self._draft(chunks[-1])  # past 4096 characters: the part being written
        except DeliveryError as failure:
            cause = failure.__cause__
            if isinstance(cause, BadRequest | InvalidToken):  # unknown method or not allowed
                self._refused = True
                self._on_refused()
            raise
        self._shown = chunks[-1]

    async def _draft(self, text: str, *, formatted: bool = True) -> None:
        async def call(body: str, parse_mode: str | None) -> bool:
            return await self._sender.bot.send_message_draft(
                self._chat_id, self._draft_id, text=body, parse_mode=parse_mode
            )

        await with_plain_fallback(call, text, formatted)
