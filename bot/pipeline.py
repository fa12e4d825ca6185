"""Understand a message by its kind, then answer it under the reply policy.

`understand()` returns what it understood and stores nothing; the dispatcher keeps it
with the message and hands it to `respond()`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

from bot.config import ConversationSettings, LimitSettings
from bot.engines.speech.guard import is_unintelligible
from bot.errors import BadInput, EngineError, UnreadableMedia
from bot.history import build_window
from bot.languages import primary_language, understood, voice_for_language
from bot.media import check_image, decode_audio, encode_voice_note, to_rgb_jpeg
from bot.models import ChatTurn, ContentKind, Reply, VoiceAudio
from bot.ports.channels import Adapter, ReplyStream
from bot.ports.engines import Engines, ImageDescription
from bot.ports.store import History, StoredMessage, UserSettings
from bot.prompts import system_prompt

log = logging.getLogger(__name__)

UNSUPPORTED = (
    "I can't use that kind of message. Send me text, a voice note, an audio file or a photo."
)
UNINTELLIGIBLE = "I could not make that out — could you say it again?"
EMPTY = "Your message was empty. Write something, or send a voice note or a photo."
NO_ANSWER = "I don't have an answer to that, sorry. Could you put it another way?"
STREAM_INTERVAL = 0.25
MIN_LABEL_SCORE = 0.1  # below this an ImageNet guess misleads more than it helps


@dataclass(frozen=True, slots=True, kw_only=True)
class Understood:
    """What a message was understood to say. `problem` is the reply when it cannot be
    answered (empty, unreadable, unintelligible); what was understood is kept either way."""

    transcript: str | None = None
    caption: str | None = None
    language: str | None = None
    images: tuple[bytes, ...] = ()  # the photo as JPEG, for a model that sees images
    problem: str | None = None


def wants_voice(settings: UserSettings, kind: ContentKind) -> bool:
    """A voice note gets a voice note back; `/mode` overrides per user."""
    if settings.reply_mode == "voice":
        return True
    if settings.reply_mode == "text":
        return False
    return kind in (ContentKind.VOICE, ContentKind.AUDIO)


def describe_for_model(found: ImageDescription) -> str:
    """One sentence of what the describer truthfully found, for the model and the history."""
    parts: list[str] = []
    if found.caption:
        parts.append(f"It shows {found.caption.rstrip('.')}.")
    confident = [(name, score) for name, score in found.labels[:3] if score >= MIN_LABEL_SCORE]
    if confident:
        likely = ", ".join(f"{name} ({score:.0%})" for name, score in confident)
        parts.append(f"Most likely objects: {likely}.")
    elif found.labels and not found.caption:
        parts.append("No object in it was recognised with confidence.")
    if found.text.strip():
        parts.append(f'Text in it: "{found.text.strip()[:800]}".')
    if not parts:
        parts.append("Nothing recognisable could be found in it.")
    return " ".join(parts)


_MARKUP = re.compile(r"[*_`#>|]+|\[([^\]]*)\]\([^)]*\)")


def speakable(text: str) -> str:
    """Strip markup a voice would read out literally."""
    plain = _MARKUP.sub(lambda m: m.group(1) or "", text)
    return re.sub(r"[ \t]{2,}", " ", plain).strip()


class Pipeline:
    """understand() by kind; respond() with the history window and the reply policy."""

    def __init__(
        self,
        engines: Engines,
        history: History,
        settings: ConversationSettings,
        limits: LimitSettings,
    ) -> None:
        self.engines = engines
        self.history = history
        self.settings = settings
        self.limits = limits

    async def understand(self, message: StoredMessage, adapter: Adapter) -> Understood:
        """Turn the message into words, or say why it cannot be answered."""
        try:
            if message.kind is ContentKind.UNSUPPORTED:
                return Understood(problem=UNSUPPORTED)
            if message.kind is ContentKind.TEXT:
                return self._check_text(message)
            data = await adapter.download(message.media) if message.media else b""
            if message.kind is ContentKind.PHOTO:
                return await self._look(data)
            return await self._listen(data)
        except BadInput as problem:
            return Understood(problem=problem.user_message)

    def _check_text(self, message: StoredMessage) -> Understood:
        text = (message.text or "").strip()
        limit = self.limits.max_text_chars
        if not text:
            return Understood(problem=EMPTY)
        if len(text) > limit:
            return Understood(
                problem=f"That message is too long for me: the limit is {limit:,} characters "
                f"(it has {len(text):,})."
            )
        return Understood()

    async def _listen(self, data: bytes) -> Understood:
        if not data:
            raise UnreadableMedia("That audio file is empty.")
        clip = await asyncio.to_thread(decode_audio, data)
        heard = await self.engines.transcriber.transcribe(clip)
        found = Understood(transcript=heard.text.strip(), language=heard.language)
        if is_unintelligible(clip, heard):
            return _with_problem(found, UNINTELLIGIBLE)
        known = self.engines.transcriber.languages
        if not understood(known, heard.language):
            return _with_problem(
                found,
                f"That sounded like a language ({heard.language}) my speech model here "
                f"does not understand; it handles {', '.join(sorted(known or ()))}. "
                "You can write to me instead.",
            )
        return found

    async def _look(self, data: bytes) -> Understood:
        await asyncio.to_thread(check_image, data)
        found = await self.engines.describer.describe(data)
        caption = describe_for_model(found)
        if not self.engines.chat.accepts_images:
            return Understood(caption=caption)
        # the one re-encoding: an upright JPEG of bounded size, sent to the model as is
        return Understood(caption=caption, images=(await asyncio.to_thread(to_rgb_jpeg, data),))

    async def respond(
        self,
        message: StoredMessage,
        understanding: Understood,
        user: UserSettings,
        *,
        spoken: bool,
        stream: ReplyStream | None = None,
    ) -> Reply:
        """Generate the answer (streamed to the channel when it can show it) and voice it.
        `message` carries what was understood of it."""
        context = await self.history.context(message)
        turns = build_window(
            system_prompt(self.settings, spoken=spoken),
            context,
            budget_tokens=self.settings.context_tokens,
            current_images=understanding.images,
        )
        text = await self._generate(turns, None if spoken else stream)
        if message.kind is ContentKind.PHOTO and not self.engines.describer.can_caption:
            # say plainly what the answer rests on: no caption, only text and likely objects
            text += f"\n\n(I can't caption photos on this server. What I found: {message.caption})"
        voice = await self._voice(text, user, message.language) if spoken else None
        return Reply(text=text, voice=voice, feedback=True)

    async def _generate(self, turns: list[ChatTurn], stream: ReplyStream | None) -> str:
        pieces: list[str] = []
        last_push = 0.0
        max_tokens = self.settings.max_tokens
        async for piece in self.engines.chat.stream(turns, max_tokens=max_tokens):
            pieces.append(piece)
            now = time.monotonic()
            if stream is not None and now - last_push >= STREAM_INTERVAL:
                last_push = now
                partial = "".join(pieces).strip()
                if partial:
                    await stream.update(partial)
        text = "".join(pieces).strip()
        return text or NO_ANSWER

    async def _pick_voice(self, user: UserSettings, language: str | None) -> str | None:
        """The user's voice; else, for a language other than the default voice's, one that
        speaks it (espeak-ng covers many); else None: the synthesizer's configured default."""
        if user.voice:
            return user.voice
        voices = await self.engines.synthesizer.voices()
        first = voices[0] if voices else None
        if language and first and primary_language(first.language) != primary_language(language):
            matching = voice_for_language(voices, language)
            if matching is not None:
                return matching.id
        return None

    async def _voice(
        self, text: str, user: UserSettings, language: str | None
    ) -> VoiceAudio | None:
        """The answer spoken, or None (a text reply) when no voice can be made."""
        try:
            voice_id = await self._pick_voice(user, language)
            clip = await self.engines.synthesizer.synthesize(speakable(text), voice_id, user.speed)
            return await asyncio.to_thread(encode_voice_note, clip)
        except EngineError as failure:
            log.warning("voice reply fell back to text: %s", failure)
            return None


def _with_problem(found: Understood, problem: str) -> Understood:
    return Understood(transcript=found.transcript, language=found.language, problem=problem)
