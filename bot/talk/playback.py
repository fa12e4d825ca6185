"""What omnivox is saying: queued sentences, handed out 20 ms at a time, stoppable.

The transport pulls `frame()` at its own real-time pace; between sentences and when
nothing is queued it gets silence. `stop()` (a barge-in) empties the queue at once, so
the next frame pulled is silent. It remembers which sentences began to be heard: that,
and nothing more, is what was said.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import numpy as np

from bot.ports.talk import SAID_RATE

RATE = SAID_RATE
FRAME = RATE // 50  # 20 ms
SILENT = np.zeros(FRAME, np.int16)


class Playback:
    def __init__(self, on_start: Callable[[str], None] | None = None) -> None:
        self._queue: deque[tuple[str, np.ndarray]] = deque()
        self._current: np.ndarray | None = None
        self._at = 0
        self._on_start = on_start
        self.heard: list[str] = []  # sentences that began to play, in order
        self.cut = False  # the last of them was stopped before its end
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def playing(self) -> bool:
        return not self._idle.is_set()

    def add(self, sentence: str, pcm: np.ndarray) -> None:
        """Queue one sentence's audio (int16 mono at RATE)."""
        self._queue.append((sentence, pcm))
        self._idle.clear()

    def frame(self) -> np.ndarray:
        """The next 20 ms to send."""
        if self._current is None or self._at >= len(self._current):
            if not self._queue:
                self._current = None
                self._idle.set()
                return SILENT
            sentence, self._current = self._queue.popleft()
            self._at = 0
            self.heard.append(sentence)
            if self._on_start is not None:
                self._on_start(sentence)
        chunk = self._current[self._at : self._at + FRAME]
        self._at += FRAME
        if len(chunk) < FRAME:
            chunk = np.concatenate([chunk, SILENT[: FRAME - len(chunk)]])
        return chunk

    def stop(self, *, more_to_come: bool = False) -> None:
        """Silence from the next frame on. The answer was cut if a sentence was playing,
        or (`more_to_come`) if the model had not finished writing it."""
        playing = self._current is not None and self._at < len(self._current)
        if playing or ((more_to_come or self._queue) and self.heard):
            self.cut = True
        self._queue.clear()
        self._current = None
        self._idle.set()

    async def finished(self) -> None:
        """Until everything queued has been played (or stopped)."""
        await self._idle.wait()

    def reset(self) -> None:
        self.heard = []
        self.cut = False
