"""Progress of a long transcription, shown on the channel without flooding it.

The line opens only when there is something to say, and changes at most every few
seconds and by at least a few percent; a channel that shows no progress returns None
from `open_progress` and costs nothing. A failing progress line never stops the work.
"""

from __future__ import annotations

import logging
import time

from bot.listening import minutes
from bot.ports.channels import Adapter, ProgressLine

log = logging.getLogger(__name__)

EVERY_S = 3.0
MIN_STEP = 0.05


def progress_text(fraction: float, length_s: float) -> str:
    return f"transcribing… {round(fraction * 100):d} % of {minutes(length_s)}"


class TranscriptionProgress:
    def __init__(self, adapter: Adapter, chat_id: str, message_id: str | None,
                 length_s: float) -> None:  # fmt: skip
        self._length = length_s
        self._line: ProgressLine | None = None
        self._shown = -1.0
        self._at = 0.0
        opener = getattr(adapter, "open_progress", None)
        try:
            self._line = opener(chat_id, message_id) if opener is not None else None
        except Exception as failure:
            log.info("no progress line: %s", failure)

    async def update(self, fraction: float) -> None:
        now = time.monotonic()
        due = self._shown < 0 or (now - self._at >= EVERY_S and fraction - self._shown >= MIN_STEP)
        if self._line is None or not due or fraction >= 1.0:
            return
        self._shown, self._at = fraction, now
        try:
            await self._line.update(progress_text(fraction, self._length), fraction)
        except Exception as failure:
            log.info("progress update failed: %s", failure)

    async def close(self) -> None:
        if self._line is None:
            return
        try:
            await self._line.close()
        except Exception as failure:
            log.info("closing the progress line failed: %s", failure)
