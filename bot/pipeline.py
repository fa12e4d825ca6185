"""Understand a message by its kind, then answer it under the reply policy."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

from adapters.base import Adapter, ReplyStream
from bot.config import Settings
from bot.engines.base import Engines, ImageDescription
from bot.engines.registry import language_supported, primary_language, voice_for_language
from bot.engines.speech_guard import is_unintelligible
from bot.errors import BadInput, EngineError, UnreadableMedia
from bot.history import build_window
from bot.media import check_image, decode_audio, encode_voice_note, to_rgb_jpeg
from bot.models import ChatTurn, ContentKind, Reply
from bot.ports import Store, StoredMessage, UserSettings
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


@dataclass(frozen=True, slots=True)
class Understanding:
    """The user's turn, ready for the model: stored words plus, for vision models, the photo."""

    images: tuple[bytes, ...] = ()


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

    def __init__(self, engines: Engines, store: Store, settings: Settings) -> None:
        self.engines = engines
        self.store = store
        self.settings = settings

    async def understand(self, message: StoredMessage, adapter: Adapter) -> Understanding | Reply:
        """Turn the message into words (stored with it), or a reply that explains a problem."""
        try:
            if message.kind is ContentKind.UNSUPPORTED:
                return Reply(text=UNSUPPORTED)
            if message.kind is ContentKind.TEXT:
                return self._check_text(message)
            data = await adapter.download(message.media) if message.media else b""
            if message.kind is ContentKind.PHOTO:
                return await self._look(message, data)
            return await self._listen(message, data)
        except BadInput as problem:
            return Reply(text=problem.user_message)

    def _check_text(self, message: StoredMessage) -> Understanding | Reply:
        text = (message.text or "").strip()
        if not text:
            return Reply(text=EMPTY)
        if len(text) > self.settings.max_text_chars:
            return Reply(
                text=f"That message is too long for me: the limit is "
                f"{self.settings.max_text_chars:,} characters (it has {len(text):,})."
            )
        return Understanding()

    async def _listen(self, message: StoredMessage, data: bytes) -> Understanding | Reply:
        if not data:
            raise UnreadableMedia("That audio file is empty.")
        clip = await asyncio.to_thread(decode_audio, data)
        heard = await self.engines.transcriber.transcribe(clip)
        await self.store.set_understanding(
            message.id, transcript=heard.text.strip(), language=heard.language
        )
        if is_unintelligible(clip, heard):
            return Reply(text=UNINTELLIGIBLE)
        if not language_supported(self.engines, heard.language):
            known = ", ".join(sorted(self.engines.transcriber.languages or ()))
            return Reply(
                text=f"That sounded like a language ({heard.language}) my speech model here "
                f"does not understand; it handles {known}. You can write to me instead."
            )
        return Understanding()

    async def _look(self, message: StoredMessage, data: bytes) -> Understanding:
        await asyncio.to_thread(check_image, data)
        found = await self.engines.describer.describe(data)
        await self.store.set_understanding(message.id, caption=describe_for_model(found))
        if self.engines.chat.accepts_images:
            return Understanding(images=(await asyncio.to_thread(to_rgb_jpeg, data),))
        return Understanding()

    async def respond(
        self,
        message: StoredMessage,
        understanding: Understanding,
        user: UserSettings,
        *,
        stream: ReplyStream | None = None,
    ) -> Reply:
        """Generate the answer (streamed to the channel when it can show it) and voice it."""
        spoken = wants_voice(user, message.kind)
        current = message
        if message.kind is not ContentKind.TEXT:  # understand() stored a transcript or caption
            current = await self.store.get(message.id) or message
        context = await self.store.context(current)
        turns = build_window(
            system_prompt(self.settings, spoken=spoken),
            context,
            budget_tokens=self.settings.context_tokens,
            current_images=understanding.images,
        )
        text = await self._generate(turns, None if spoken else stream)
        if current.kind is ContentKind.PHOTO and not self.engines.describer.can_caption:
            # say plainly what the answer rests on: no caption, only text and likely objects
            text += f"\n\n(I can't caption photos on this server. What I found: {current.caption})"
        reply = Reply(text=text, reply_to_id=message.platform_message_id, feedback=True)
        if not spoken:
            return reply
        return await self._voice(reply, user, current.language)

    async def _generate(self, turns: list[ChatTurn], stream: ReplyStream | None) -> str:
        pieces: list[str] = []
        last_push = 0.0
        async for piece in self.engines.chat.stream(turns, max_tokens=self.settings.llm_max_tokens):
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
        speaks it (espeak-ng covers many); else the configured default."""
        if user.voice:
            return user.voice
        voices = await self.engines.synthesizer.voices()
        default = self.settings.tts_voice or (voices[0].id if voices else None)
        first = voices[0] if voices else None
        if language and first and primary_language(first.language) != primary_language(language):
            matching = voice_for_language(voices, language)
            if matching is not None:
                return matching.id
        return default

    async def _voice(self, reply: Reply, user: UserSettings, language: str | None) -> Reply:
        try:
            voice_id = await self._pick_voice(user, language)
            clip = await self.engines.synthesizer.synthesize(
                speakable(reply.text), voice_id, user.speed
            )
            voice = await asyncio.to_thread(encode_voice_note, clip)
        except EngineError as failure:
            log.warning("voice reply fell back to text: %s", failure)
            return reply
        return Reply(
            text=reply.text, voice=voice, reply_to_id=reply.reply_to_id, feedback=reply.feedback
        )
