"""WhatsApp's typing dots: shown by marking the user's last message read, refreshed no
more often than they last, and never allowed to break an answer."""

from __future__ import annotations

import logging
import time

from adapters.whatsapp.errors import GraphAPIError, Severity, TokenAlarm
from adapters.whatsapp.graph import GraphClient

log = logging.getLogger(__name__)

# The typing indicator lasts 25 s or until we answer; refresh it no more often than this.
TYPING_REFRESH = 20.0


class TypingDots:
    def __init__(self, graph: GraphClient, alarm: TokenAlarm) -> None:
        self._graph = graph
        self._alarm = alarm
        self._shown: dict[str, tuple[str, float]] = {}  # chat → (message marked, when)

    async def show(self, chat_id: str, wamid: str) -> None:
        now = time.monotonic()
        previous = self._shown.get(chat_id)
        if previous and previous[0] == wamid and now - previous[1] < TYPING_REFRESH:
            return
        self._shown[chat_id] = (wamid, now)
        try:
            await self._graph.mark_read(wamid, typing=True)
        except GraphAPIError as exc:
            if exc.severity is Severity.AUTH:
                self._alarm.report(exc)
            log.debug("typing indicator failed for %s: %s", chat_id, exc)

    def forget(self, chat_id: str) -> None:
        self._shown.pop(chat_id, None)
