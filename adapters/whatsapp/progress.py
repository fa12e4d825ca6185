"""Progress on WhatsApp: a message cannot be edited, so one status text says the work has
started and how long the recording is; the reply itself says when it is done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Send = Callable[[str, str, str | None], Awaitable[object]]

STARTED = "Got your {length} recording — transcribing it now; I will reply when it is done."


class WhatsAppProgress:
    def __init__(self, send: Send, chat_id: str, reply_to_id: str | None) -> None:
        self._send = send
        self._chat_id = chat_id
        self._reply_to_id = reply_to_id
        self._told = False

    async def update(self, text: str, fraction: float) -> None:
        if self._told:
            return
        self._told = True
        length = text.rsplit(" of ", 1)[-1] if " of " in text else "long"
        await self._send(self._chat_id, STARTED.format(length=length), self._reply_to_id)

    async def close(self) -> None:
        return None  # nothing to take back: the reply follows
