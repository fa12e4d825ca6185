"""Who may talk, and how many at once: the door every transport opens a session by.

A caller who is not on the list of users, over the rate limit, or one too many for
`OMNIVOX_MAX_CALLS` is refused with a sentence to show or say; the VAD model of each
session is loaded in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from bot.access import REFUSAL, AccessPolicy, rate_limited_text
from bot.config import ConversationSettings, TalkSettings
from bot.engines.speech.vad import SpeechMeter
from bot.ports.engines import Engines
from bot.ports.store import Store
from bot.ports.talk import Caller, Emit, TalkRefused
from bot.talk.brain import Brain
from bot.talk.session import TalkSession
from bot.talk.turns import TurnDetector

log = logging.getLogger(__name__)

BUSY = "Sorry, I am already on as many calls as I can take. Please try again in a few minutes."


class Talk:
    def __init__(self, store: Store, engines: Engines, conversation: ConversationSettings,
                 settings: TalkSettings, access: AccessPolicy) -> None:  # fmt: skip
        self.settings = settings
        self.access = access
        self.brain = Brain(store, engines, conversation, access)
        self.sessions: dict[str, TalkSession] = {}
        self._opening = 0

    @property
    def active(self) -> int:
        return len(self.sessions) + self._opening

    async def open(self, caller: Caller, emit: Emit) -> TalkSession:
        """A new session for `caller`, who may talk now (else TalkRefused); the call counts
        as one message against the rate limit. Start it once its audio flows."""
        probe = caller.probe()
        if not self.access.is_allowed(probe):
            raise TalkRefused(REFUSAL)
        if self.active >= self.settings.max_calls:
            raise TalkRefused(BUSY, busy=True)
        if not self.access.take(probe):
            raise TalkRefused(rate_limited_text(self.access.limit))
        self._opening += 1
        try:
            meter = await asyncio.to_thread(SpeechMeter)
        finally:
            self._opening -= 1
        detector = TurnDetector(meter, end_of_turn_ms=self.settings.end_of_turn_ms,
                                max_turn_s=self.settings.max_turn_s)  # fmt: skip
        session = TalkSession(uuid.uuid4().hex, caller, self.brain, detector, emit)
        self.sessions[session.talk_id] = session
        log.info("talk %s opened (%d of %d)", session.talk_id, self.active,
                 self.settings.max_calls)  # fmt: skip
        return session

    async def close(self, talk_id: str) -> bool:
        session = self.sessions.pop(talk_id, None)
        if session is None:
            return False
        await session.close()
        log.info("talk %s closed after %d turns", talk_id, session.turns_kept)
        return True

    async def close_all(self) -> None:
        for talk_id in list(self.sessions):
            await self.close(talk_id)
