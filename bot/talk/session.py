"""One live conversation: 16 kHz audio in, 48 kHz audio out, events to show.

The listener runs the VAD (in a worker thread) over what arrives; at the end of a turn
the turn is heard, stored and answered, each sentence synthesised and queued to play
as soon as the model has written it. When the user starts to speak while an answer is
on its way, playback stops at once and the answer is cancelled: what was heard of it
is what is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import numpy as np

from bot.access import rate_limited_text
from bot.errors import EngineError
from bot.ports.engines import ASR_SAMPLE_RATE, AudioClip, Transcript
from bot.ports.talk import Caller, Emit
from bot.speaking import sentences_as_written
from bot.talk.audio import to_playback
from bot.talk.brain import Brain, Voiced
from bot.talk.playback import Playback
from bot.talk.turns import TurnDetector, TurnEvent

log = logging.getLogger(__name__)

TROUBLE = "Sorry, something went wrong on my side. Please say that again."


class TalkSession:
    def __init__(self, talk_id: str, caller: Caller, brain: Brain, detector: TurnDetector,
                 emit: Emit) -> None:  # fmt: skip
        self.talk_id = talk_id
        self.caller = caller
        self.brain = brain
        self.emit = emit
        self.state = "listening"
        self.playback = Playback(on_start=self._started_saying)
        self._detector = detector
        self._inbound: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self._turns: asyncio.Queue[tuple[TurnEvent, asyncio.Task[Transcript | None] | None]] = (
            asyncio.Queue()
        )
        self._early: asyncio.Task[Transcript | None] | None = None  # hearing a paused turn
        self._writing = False  # the model is still writing the answer being said
        self._answering: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = asyncio.Event()
        self._turn_began = 0.0  # when the turn being answered ended (for the log)
        self._heard_after = 0.0
        self.turns_kept = 0

    # what the transport calls ------------------------------------------------

    def start(self, greeting: str | None = None) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name=f"talk-{self.talk_id}-listen"),
                       asyncio.create_task(self._reply(), name=f"talk-{self.talk_id}-reply")]
        self.emit({"type": "state", "state": self.state})
        if greeting:
            self._answering = asyncio.create_task(self._say_only(greeting))

    def hear(self, samples: np.ndarray) -> None:
        """16 kHz mono float32 samples from the caller (never blocks)."""
        if not self.closed.is_set():
            self._inbound.put_nowait(samples)

    def frame(self) -> np.ndarray:
        """The next 20 ms to play to the caller (int16, 48 kHz mono)."""
        return self.playback.frame()

    async def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.playback.stop()
        self._drop_early()
        tasks = [*self._tasks, *([self._answering] if self._answering else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # listening ---------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            chunks = [await self._inbound.get()]
            while not self._inbound.empty():
                chunks.append(self._inbound.get_nowait())
            events = await asyncio.to_thread(self._detector.feed, np.concatenate(chunks))
            for event in events:
                if event.kind == "started":
                    self._barge_in()
                elif event.kind == "paused":
                    self._hear_early(event)
                elif event.kind == "resumed":
                    self._drop_early()
                else:
                    if event.cut:
                        self._drop_early()
                    early, self._early = self._early, None
                    self._turns.put_nowait((event, early))

    def _hear_early(self, event: TurnEvent) -> None:
        """Start hearing a paused turn: if it has ended, its words are ready sooner."""
        self._drop_early()
        assert event.audio is not None
        clip = AudioClip(samples=event.audio, sample_rate=ASR_SAMPLE_RATE)
        self._early = asyncio.create_task(self.brain.hear(self.caller, clip))

    def _drop_early(self) -> None:
        if self._early is not None:
            self._early.cancel()
            self._early = None

    def _barge_in(self) -> None:
        """The user speaks: whatever omnivox was saying or about to say stops."""
        if self._answering is not None and not self._answering.done():
            log.info("talk %s: talked over, answer stopped", self.talk_id)
            self.playback.stop(more_to_come=self._writing)
            self._set_state("listening")
            self._answering.cancel("barge-in")

    # answering ---------------------------------------------------------------

    async def _reply(self) -> None:
        while True:
            event, early = await self._turns.get()
            if self._answering is not None:
                await asyncio.wait([self._answering])  # a greeting still being said
            self._answering = asyncio.create_task(self._turn(event, early))
            await asyncio.wait([self._answering])
            if self._turns.empty():
                self._set_state("listening")

    async def _turn(self, event: TurnEvent, early: asyncio.Task[Transcript | None] | None) -> None:
        assert event.audio is not None
        self._turn_began = time.monotonic()
        self._set_state("thinking")
        clip = AudioClip(samples=event.audio, sample_rate=ASR_SAMPLE_RATE)
        try:
            heard = await (early if early is not None else self.brain.hear(self.caller, clip))
        except EngineError as failure:
            log.warning("talk %s: could not hear a turn: %s", self.talk_id, failure)
            await self._say_only(TROUBLE)
            return
        if heard is None:
            return
        self._heard_after = time.monotonic() - self._turn_began
        self.emit({"type": "transcript", "role": "user", "text": heard.text.strip(),
                   "final": True})  # fmt: skip
        turn = await self.brain.keep_turn(self.caller, heard)
        if turn is None:
            await self._say_only(rate_limited_text(self.brain.access.limit))
            return
        self.turns_kept += 1
        self.playback.reset()
        try:
            if event.cut:  # a long turn goes on: answered when it ends
                return
            voiced = await self.brain.voiced(self.caller, heard.language)
            await self._answer(self.brain.answer(turn, voiced.language), voiced)
        finally:  # stored first: a final transcript means the turn is in the history
            await asyncio.shield(self.brain.keep_answer(turn, self._heard_so_far()))
            self._finish_saying()

    async def _answer(self, pieces: Any, voiced: Voiced) -> None:
        """Speak the stream sentence by sentence, to its end."""
        written: list[str] = []
        self._writing = True
        try:
            async for sentence in sentences_as_written(pieces, language=voiced.language,
                                                       written=written):  # fmt: skip
                await self._queue(sentence, voiced)
        finally:
            self._writing = False
        await self.playback.finished()

    async def _queue(self, sentence: str, voiced: Voiced) -> None:
        try:
            clip = await voiced.speak(sentence)
        except EngineError as failure:
            log.warning("talk %s: could not say a sentence: %s", self.talk_id, failure)
            return
        pcm = await asyncio.to_thread(to_playback, clip)
        self.playback.add(sentence, pcm)

    async def _say_only(self, text: str) -> None:
        """Say something that is not an answer (a greeting, a refusal)."""
        voiced = await self.brain.voiced(self.caller, None)

        async def once() -> Any:
            yield text

        self._set_state("thinking")
        self.playback.reset()
        try:
            await self._answer(once(), voiced)
        finally:
            self._finish_saying()

    def _heard_so_far(self) -> str:
        said = " ".join(self.playback.heard)
        return f"{said} —" if said and self.playback.cut else said

    def _started_saying(self, _sentence: str) -> None:
        if self._turn_began and len(self.playback.heard) == 1:
            log.info("talk %s: heard in %.2f s, first audio %.2f s after the turn ended",
                     self.talk_id, self._heard_after, time.monotonic() - self._turn_began)
        self._set_state("speaking")
        self.emit({"type": "transcript", "role": "assistant", "text": self._heard_so_far(),
                   "final": False})  # fmt: skip

    def _finish_saying(self) -> None:
        if self.playback.heard:
            self.emit({"type": "transcript", "role": "assistant",
                       "text": self._heard_so_far(), "final": True})  # fmt: skip

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.emit({"type": "state", "state": state})
