"""What a talk turn goes through: heard in the user's language, answered with the
conversation so far, and stored the way a voice note and its voice reply are stored
(their transcripts, no audio).

A turn goes into the store only once it has been heard; its answer goes in when it has
been said, or as far as it was said when the user talked over it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.access import AccessPolicy
from bot.config import ConversationSettings
from bot.engines.speech.guard import is_unintelligible
from bot.history import build_window
from bot.languages import detected, primary_language, stored_language
from bot.listening import hear_clip
from bot.models import Reply
from bot.ports.engines import AudioClip, Engines, Transcript
from bot.ports.store import State, Store, StoredMessage, UserSettings
from bot.ports.talk import Caller
from bot.prompts import system_prompt
from bot.speaking import Speak
from bot.voices import ReplyVoice

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Voiced:
    """How the caller is answered aloud: voice, speed, language."""

    speak: Speak
    language: str | None


class Brain:
    """The engines, the store and the access rules, as a talk session uses them."""

    def __init__(self, store: Store, engines: Engines, conversation: ConversationSettings,
                 access: AccessPolicy) -> None:  # fmt: skip
        self.store = store
        self.engines = engines
        self.conversation = conversation
        self.access = access
        self.voices = ReplyVoice(engines.synthesizer)

    async def user(self, caller: Caller) -> UserSettings:
        return await self.store.users.settings(caller.platform, caller.user_id)

    async def voiced(self, caller: Caller, language: str | None) -> Voiced:
        user = await self.user(caller)
        language = language or stored_language(user.language)[0]
        voice_id, _ = await self.voices.choose(user, language)
        return Voiced(speak=self.voices.speaker(voice_id, user.speed), language=language)

    async def hear(self, caller: Caller, samples: AudioClip) -> Transcript | None:
        """The turn's words in the pinned language (pinned when first heard); None when
        nothing intelligible was said."""
        pinned, firm = stored_language((await self.user(caller)).language)
        heard = await hear_clip(self.engines.transcriber, samples, pinned, firm=firm)
        if is_unintelligible(samples, heard) or not heard.text.strip():
            return None
        language = heard.language
        if language and not firm and primary_language(language) != primary_language(pinned):
            await self.store.users.update(caller.platform, caller.user_id,
                                          language=detected(language))  # fmt: skip
        return heard

    async def keep_turn(self, caller: Caller, heard: Transcript) -> StoredMessage | None:
        """Store what the caller said, as a voice note's transcript; None when over the
        rate limit (nothing stored)."""
        message = caller.probe(f"talk-{uuid.uuid4().hex}")
        accepted = await self.store.inbox.accept(message, in_context=True, live=True,
                                                 admit=lambda: self.access.take(message))
        if accepted.id is None or accepted.refused:
            return None
        await self.store.inbox.record_understanding(accepted.id, transcript=heard.text.strip(),
                                                    language=heard.language)  # fmt: skip
        return await self.store.inbox.get(accepted.id)

    async def settle(self, turn: StoredMessage) -> None:
        """A turn left without an answer (a piece of a long one, or talked over before
        anything was said) is done with: a restart must not answer it."""
        await self.store.inbox.set_state(turn.id, State.ANSWERED)

    async def answer(self, turn: StoredMessage, language: str | None) -> AsyncIterator[str]:
        """The model's answer to the conversation up to `turn`, streamed."""
        context = await self.store.history.context(turn)
        prompt = system_prompt(self.conversation, spoken=True, language=language)
        turns = build_window(prompt, context, budget_tokens=self.conversation.context_tokens)
        async for piece in self.engines.chat.stream(turns, max_tokens=self.conversation.max_tokens):
            yield piece

    async def keep_answer(self, turn: StoredMessage, said: str) -> None:
        """Store what was said in answer (as a voice reply's transcript, no audio)."""
        if not said.strip():
            await self.settle(turn)
            return
        notice = self.conversation.first_contact_notice.strip() or None
        reply_id = await self.store.outbox.add_reply(turn.id, Reply(text=said.strip()),
                                                     in_context=True, notice=notice)
        await self.store.outbox.mark_delivered(reply_id, [f"talk-{uuid.uuid4().hex}"])
