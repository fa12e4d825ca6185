"""Progress in the web chat: the page polls the messages, so the progress line of a message
is kept here, in memory, and added to that message's JSON until the work is done."""

from __future__ import annotations


class WebProgress:
    def __init__(self, lines: dict[str, str], message_id: str | None) -> None:
        self._lines = lines
        self._key = message_id or ""

    async def update(self, text: str, fraction: float) -> None:
        if self._key:
            self._lines[self._key] = text

    async def close(self) -> None:
        self._lines.pop(self._key, None)
