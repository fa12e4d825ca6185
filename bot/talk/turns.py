"""Where a spoken turn starts and ends, in a live 16 kHz stream (Silero VAD).

Speech starts after a few windows in a row that sound like speech (a click does not
count); a turn ends after `end_of_turn_ms` of silence, or at `max_turn_s`, when the
piece so far is handed on and the turn goes on. Each turn keeps a little of the audio
before its start, so the first syllable is not lost. A quarter second into the silence
the turn is `paused`, with the very audio the turn will end with unless the user goes on
(`resumed`): it can be transcribed while the end-of-turn silence runs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.engines.speech.vad import WINDOW

SAMPLE_RATE = 16_000
WINDOW_MS = WINDOW * 1000 // SAMPLE_RATE  # 32
SPEECH = 0.5  # Silero's own thresholds: speech at 0.5, silence again below 0.35
SILENCE = 0.35
ONSET_WINDOWS = 2  # ~64 ms of speech before it counts (a click is shorter)
PRE_ROLL_WINDOWS = 10  # ~320 ms kept from before the start
TAIL_WINDOWS = 6  # ~190 ms of the trailing silence kept
PAUSE_WINDOWS = 8  # ~256 ms of silence: the turn may be over, hearing it may begin


class Meter(Protocol):
    def score(self, windows: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class TurnEvent:
    """`started`: the user began to speak. `ended`: a turn (or, `cut`, a piece of a long
    one) is over, with its audio. `paused`: maybe over, with the audio it would end with;
    `resumed`: it was not."""

    kind: str  # "started" | "paused" | "resumed" | "ended"
    audio: np.ndarray | None = None
    cut: bool = False


class TurnDetector:
    """Feed it 16 kHz mono float32 samples; it says when turns start and end (blocking)."""

    def __init__(self, meter: Meter, *, end_of_turn_ms: int, max_turn_s: float) -> None:
        self._meter = meter
        self._end_windows = max(1, end_of_turn_ms // WINDOW_MS)
        self._max_windows = max(1, int(max_turn_s * 1000) // WINDOW_MS)
        self._pending = np.zeros(0, np.float32)
        self._before: deque[np.ndarray] = deque(maxlen=PRE_ROLL_WINDOWS)
        self._onset: list[np.ndarray] = []
        self._turn: list[np.ndarray] = []
        self._silent = 0
        self._paused = False
        self.speaking = False

    def feed(self, samples: np.ndarray) -> list[TurnEvent]:
        self._pending = np.concatenate([self._pending, samples.astype(np.float32)])
        whole = len(self._pending) // WINDOW * WINDOW
        if not whole:
            return []
        windows, self._pending = self._pending[:whole], self._pending[whole:]
        events: list[TurnEvent] = []
        for window, chance in zip(windows.reshape(-1, WINDOW), self._meter.score(windows),
                                  strict=True):  # fmt: skip
            event = self._step(window, float(chance))
            if event is not None:
                events.append(event)
        return events

    def _step(self, window: np.ndarray, chance: float) -> TurnEvent | None:
        if not self.speaking:
            return self._maybe_start(window, chance)
        self._turn.append(window)
        if chance >= SILENCE:
            self._silent = 0
            if self._paused:
                self._paused = False
                return TurnEvent("resumed")
        else:
            self._silent += 1
        if self._silent >= self._end_windows:
            audio = self._spoken()
            self._reset()
            return TurnEvent("ended", audio)
        if len(self._turn) >= self._max_windows:
            audio = np.concatenate(self._turn)
            self._turn = []
            self._paused = False
            return TurnEvent("ended", audio, cut=True)
        if self._silent == PAUSE_WINDOWS and not self._paused:
            self._paused = True
            return TurnEvent("paused", self._spoken())
        return None

    def _spoken(self) -> np.ndarray:
        """The turn up to a little after its last speech."""
        return np.concatenate(self._turn[: len(self._turn) - self._silent + TAIL_WINDOWS])

    def _maybe_start(self, window: np.ndarray, chance: float) -> TurnEvent | None:
        if chance < SPEECH:
            self._before.extend(self._onset)
            self._onset = []
            self._before.append(window)
            return None
        self._onset.append(window)
        if len(self._onset) < ONSET_WINDOWS:
            return None
        self.speaking = True
        self._turn = [*self._before, *self._onset]
        self._before.clear()
        self._onset = []
        self._silent = 0
        return TurnEvent("started")

    def _reset(self) -> None:
        self.speaking = False
        self._turn = []
        self._silent = 0
        self._paused = False
