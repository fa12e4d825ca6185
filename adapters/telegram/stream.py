"""A reply shown while it is generated: one message, edited at most once per interval.

Nothing is sent until `first_delay` has passed, so a quick answer costs a single
sendMessage; partial text goes out plain (half-written Markdown is not valid markup) and
the final text is rendered as HTML with the feedback buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram.error import TelegramError

from adapters.telegram.format import escape_html, split_text, to_html
from adapters.telegram.markup import keyboard
from adapters.telegram.outgoing import TextSender
from bot.errors import DeliveryError

log = logging.getLogger(__name__)

STOPPED_MARK = " … (stopped)"


class TelegramReplyStream:
    def __init__(
        self,
        sender: TextSender,
        chat_id: str,
        reply_to_id: str | None,
        *,
        interval: float = 1.0,
        first_delay: float = 1.0,
    ) -> None:
        self._sender = sender
        self._chat_id = chat_id
        self._reply_to_id = reply_to_id
        self._interval = interval
        self._next_at = time.monotonic() + first_delay
        self._latest = ""
        self._ids: list[int] = []
        self._shown: list[str] = []
        self._lock = asyncio.Lock()
        self._pending: asyncio.Task[None] | None = None

    async def update(self, text: str) -> None:
        self._latest = text
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(self._flush_later())

    async def finish(self, text: str, *, feedback_for: int | None = None) -> list[str]:
        """Final text as HTML with 👍/👎: streams carry generated answers, which all get them."""
        await self._cancel_pending()
        async with self._lock:
            await self._show(split_text(text) or ["…"], final=True, feedback_for=feedback_for)
        return [str(i) for i in self._ids]

    async def abort(self) -> None:
        await self._cancel_pending()
        if not self._ids:
            return
        async with self._lock:
            with contextlib.suppress(DeliveryError):
                await self._sender.edit(
                    self._chat_id, self._ids[-1], self._shown[-1] + STOPPED_MARK, formatted=False
                )

    async def _flush_later(self) -> None:
        await asyncio.sleep(max(0.0, self._next_at - time.monotonic()))
        # Shielded: cancelling a send in flight could leave a message we do not know about.
        await asyncio.shield(self._flush())

    async def _flush(self) -> None:
        try:
            async with self._lock:
                await self._show(split_text(self._latest), final=False)
        except (DeliveryError, TelegramError) as failure:  # the final text is what must arrive
            log.info("a stream update failed: %s", failure)  # no chat id: see README Privacy
        self._next_at = time.monotonic() + self._interval

    async def _cancel_pending(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending

    async def _show(
        self, chunks: list[str], *, final: bool, feedback_for: int | None = None
    ) -> None:
        """Edit the messages already sent where their text changed; send the rest."""
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            markup = keyboard(feedback_for=feedback_for, feedback=True) if final and last else None
            if index < len(self._ids):
                restyle = final and (last or to_html(chunk) != escape_html(chunk))
                if chunk != self._shown[index] or restyle:
                    await self._sender.edit(
                        self._chat_id, self._ids[index], chunk, markup=markup, formatted=final
                    )
                self._shown[index] = chunk
                continue
            reply_to = self._reply_to_id if index == 0 else None
            message_id = await self._sender.send(
                self._chat_id, chunk, reply_to_id=reply_to, markup=markup, formatted=final
            )
            self._ids.append(message_id)
            self._shown.append(chunk)
