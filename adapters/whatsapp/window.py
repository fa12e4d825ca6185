"""WhatsApp's 24-hour customer-service window: free-form messages only within 24 hours
of the user's last one. Outside it a reply waits for the user to write, after the
approved reply template (when one is set) has told them an answer is ready."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from adapters.whatsapp import outgoing
from adapters.whatsapp.errors import WINDOW_CLOSED
from bot.errors import DeliveryError
from bot.models import Platform
from bot.ports.channels import LastSeen, PartLog

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
TEMPLATE_PART = -1  # numbered before the reply's own parts
Send = Callable[[dict[str, object], PartLog, int], Awaitable[str]]


class ReplyWindow:
    def __init__(self, seen: LastSeen, send: Send, template: str, language: str) -> None:
        self._seen = seen
        self._send = send
        self._template = template
        self._language = language

    async def check(self, chat_id: str, heard_at: datetime | None, parts: PartLog) -> None:
        """Return when the window is open (by the store, or `heard_at`, the last message
        this process saw); otherwise announce the reply and raise so that it waits."""
        stored = await self._seen.last_incoming_at(Platform.WHATSAPP, chat_id)
        if stored is not None and stored.tzinfo is None:
            stored = stored.replace(tzinfo=UTC)
        moments = [m for m in (stored, heard_at) if m is not None]
        if moments and datetime.now(UTC) - max(moments) <= WINDOW:
            return
        await self._announce(chat_id, parts)
        raise DeliveryError(WINDOW_CLOSED, waits_for_user=True)

    async def _announce(self, chat_id: str, parts: PartLog) -> None:
        """The approved template that tells the user an answer waits (once per reply)."""
        if not self._template or parts.sent(TEMPLATE_PART) is not None:
            return
        payload = outgoing.template(chat_id, self._template, self._language)
        try:
            await self._send(payload, parts, TEMPLATE_PART)
        except DeliveryError as failure:
            log.warning("the reply template %r was not sent: %s", self._template, failure.reason)
