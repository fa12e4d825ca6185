"""Understand a message by its kind, then answer it under the reply policy.

`understand()` returns what it understood (and pins the language it heard on the user);
the dispatcher keeps it with the message and hands it to `respond()`, which answers in
the user's language and, for a voice reply, speaks each sentence while the model writes
the next (`bot.speaking`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

from bot.audio import audio_blocks, decode_audio, probe_duration
from bot.config import ConversationSettings, LimitSettings
from bot.engines.speech.guard import is_unintelligible
from bot.errors import BadInput, UnreadableMedia
from bot.history import build_window
from bot.images import check_image, to_rgb_jpeg
from bot.languages import detected, language_name, primary_language, stored_language, understood
from bot.listening import LONG_AUDIO_S, Heard, hear_clip, hear_long, minutes
from bot.metrics import timed
from bot.models import ChatTurn, ContentKind, Reply
from bot.ports.channels import Adapter, ReplyStream
from bot.ports.engines import Engines, ImageDescription
from bot.ports.store import History, StoredMessage, Users, UserSettings
from bot.progress import TranscriptionProgress
from bot.prompts import system_prompt
from bot.speakable import speakable
from bot.speaking import speak_while_writing
from bot.summaries import summarise
from bot.textlang import TextLanguages
from bot.voices import ReplyVoice, full_text_line

log = logging.getLogger(__name__)

UNSUPPORTED = (
    "I can't use that kind of message. Send me text, a voice note, an audio file or a photo."
)
UNINTELLIGIBLE = "I could not make that out — could you say it again?"
EMPTY = "Your message was empty. Write something, or send a voice note or a photo."
NO_ANSWER = "I don't have an answer to that, sorry. Could you put it another way?"
STREAM_INTERVAL = 0.25
MIN_LABEL_SCORE = 0.1  # below this an ImageNet guess misleads more than it helps
_NAME_CHARS = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Understood:
    """What a message was understood to say. `problem` is the reply when it cannot be
    answered (empty, unreadable, unintelligible); what was understood is kept either way.
    `ignored`: a group voice note that turned out not to be for us (nothing is kept)."""

    transcript: str | None = None
    caption: str | None = None
    language: str | None = None
    images: tuple[bytes, ...] = ()  # the photo as JPEG, for a model that sees images
    problem: str | None = None
    recording_s: float | None = None  # a long recording: the reply is its summary
    note: str | None = None  # one line the reply adds (e.g. the language changed)
    ignored: bool = False


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


def addresses(transcript: str, name: str) -> bool:
    """Whether the words call the bot by its name (Whisper may split it: "Omni Vox")."""
    wanted = _NAME_CHARS.sub("", name.lower())
    words = [w for w in _NAME_CHARS.sub(" ", transcript.lower()).split() if w]
    joined = {"".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words))}
    return bool(wanted) and wanted in joined


class Pipeline:
    """understand() by kind; respond() with the history window and the reply policy."""

    def __init__(
        self,
        engines: Engines,
        history: History,
        settings: ConversationSettings,
        limits: LimitSettings,
        users: Users | None = None,
    ) -> None:
        self.engines = engines
        self.history = history
        self.settings = settings
        self.limits = limits
        self.users = users
        self.texts = TextLanguages()
        self.voices = ReplyVoice(engines.synthesizer)

    async def understand(
        self, message: StoredMessage, adapter: Adapter, user: UserSettings | None = None
    ) -> Understood:
        """Turn the message into words, or say why it cannot be answered. `user` is the
        sender's settings when the caller has already read them."""
        try:
            if message.kind is ContentKind.UNSUPPORTED:
                return Understood(problem=UNSUPPORTED)
            if message.kind is ContentKind.TEXT:
                return await self._read(message, user)
            with timed("download"):
                data = await adapter.download(message.media) if message.media else b""
            if message.kind is ContentKind.PHOTO:
                with timed("describe"):
                    return await self._look(data)
            with timed("transcribe"):
                return await self._listen(data, message, adapter, user)
        except BadInput as problem:
            return Understood(problem=problem.user_message)

    async def _user(self, message: StoredMessage, known: UserSettings | None) -> UserSettings:
        if known is not None:
            return known
        if self.users is None:
            return UserSettings()
        return await self.users.settings(message.platform, message.user_id)

    async def _read(self, message: StoredMessage, user: UserSettings | None) -> Understood:
        text = (message.text or "").strip()
        limit = self.limits.max_text_chars
        if not text:
            return Understood(problem=EMPTY)
        if len(text) > limit:
            return Understood(
                problem=f"That message is too long for me: the limit is {limit:,} characters "
                f"(it has {len(text):,})."
            )
        language = await self.texts.detect(text)
        if language is None:
            language, _ = stored_language((await self._user(message, user)).language)
        return Understood(language=language)

    async def _listen(
        self, data: bytes, message: StoredMessage, adapter: Adapter, user: UserSettings | None
    ) -> Understood:
        if not data:
            raise UnreadableMedia("That audio file is empty.")
        limit_s = self.limits.max_audio_minutes * 60
        length = await asyncio.to_thread(probe_duration, data)
        if length is not None and length > limit_s:
            return Understood(problem=_too_long(length, limit_s))
        pinned, firm = stored_language((await self._user(message, user)).language)
        if length is not None and length > LONG_AUDIO_S:
            heard = await self._hear_long(data, length, pinned, firm, message, adapter)
        else:
            clip = await asyncio.to_thread(decode_audio, data, max_seconds=limit_s)
            if clip.duration > LONG_AUDIO_S:  # the container did not say how long it was
                heard = await self._hear_long(data, clip.duration, pinned, firm, message, adapter)
            else:
                transcript = await hear_clip(self.engines.transcriber, clip, pinned, firm=firm)
                heard = Heard(transcript=transcript,
                              unintelligible=is_unintelligible(clip, transcript))  # fmt: skip
        return await self._heard(heard, message, pinned, firm)

    async def _hear_long(
        self, data: bytes, length: float, pinned: str | None, firm: bool,
        message: StoredMessage, adapter: Adapter,
    ) -> Heard:  # fmt: skip
        progress = TranscriptionProgress(adapter, message.chat_id, message.platform_message_id,
                                         length)  # fmt: skip
        try:
            blocks = audio_blocks(data, block_seconds=10.0)
            return await hear_long(self.engines.transcriber, blocks, length, pinned, firm=firm,
                                   progress=progress.update)  # fmt: skip
        finally:
            await progress.close()

    async def _heard(
        self, heard: Heard, message: StoredMessage, pinned: str | None, firm: bool
    ) -> Understood:
        text, language = heard.transcript.text.strip(), heard.transcript.language
        if message.is_unaddressed and not addresses(text, self.settings.bot_name):
            return Understood(ignored=True)
        found = Understood(transcript=text, language=language)
        known = self.engines.transcriber.languages
        if heard.unintelligible or not text:
            return _with_problem(found, UNINTELLIGIBLE)
        if not understood(known, language):
            return _with_problem(
                found,
                f"That sounded like {language_name(language)}, which my speech model here "
                f"does not understand; it handles {', '.join(sorted(known or ()))}. "
                "You can write to me instead.",
            )
        if language and not firm and primary_language(language) != primary_language(pinned):
            await self._pin(message, language)
        long_s = heard.transcript.duration if heard.transcript.duration > LONG_AUDIO_S else None
        note = _switch_note(language, heard.switches) if heard.switches else None
        return Understood(transcript=text, language=language, recording_s=long_s, note=note)

    async def _pin(self, message: StoredMessage, language: str) -> None:
        if self.users is not None:
            await self.users.update(message.platform, message.user_id, language=detected(language))

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
        """Generate the answer (streamed to the channel when it can show it) and voice it,
        in the user's language. `message` carries what was understood of it."""
        language = understanding.language or stored_language(user.language)[0]
        voice_id, unspeakable = await self.voices.choose(user, language) if spoken else (None, "")
        if understanding.recording_s is not None:
            text = await self._recording_summary(message, understanding, language)
        else:
            context = await self.history.context(message)
            if not context or context[-1].id != message.id:
                context.append(message)  # a group voice note, addressed only by what it said
            turns = build_window(
                system_prompt(self.settings, spoken=spoken, language=language),
                context,
                budget_tokens=self.settings.context_tokens,
                current_images=understanding.images,
            )
            if spoken and not unspeakable:
                return await self._speak_answer(turns, voice_id, user, language,
                                                understanding.note, message)  # fmt: skip
            text = await self._generate(turns, None if spoken else stream)
        text = self._with_notes(text, understanding.note, message, unspeakable)
        voice = None
        if spoken and not unspeakable:
            voice = await self.voices.say(speakable(text), voice_id, user.speed, language)
        return Reply(text=text, voice=voice, feedback=True)

    def _with_notes(self, text: str, note: str | None, message: StoredMessage,
                    unspeakable: str) -> str:  # fmt: skip
        if message.kind is ContentKind.PHOTO and not self.engines.describer.can_caption:
            # say plainly what the answer rests on: no caption, only text and likely objects
            text += f"\n\n(I can't caption photos on this server. What I found: {message.caption})"
        return "\n\n".join(p for p in (text, note, unspeakable) if p)

    async def _speak_answer(
        self, turns: list[ChatTurn], voice_id: str | None, user: UserSettings,
        language: str | None, note: str | None, message: StoredMessage,
    ) -> Reply:  # fmt: skip
        pieces = self.engines.chat.stream(turns, max_tokens=self.settings.max_tokens)
        spoken = await speak_while_writing(pieces, self.voices.speaker(voice_id, user.speed),
                                           language=language)  # fmt: skip
        text = self._with_notes(spoken.text or NO_ANSWER, note, message, "")
        voice = spoken.voice
        if spoken.over_budget:
            summary = await summarise(self.engines.chat, speakable(spoken.text), language,
                                      window_tokens=self.settings.context_tokens, sentences=2,
                                      max_tokens=self.settings.max_tokens)
            voice = await self.voices.say(f"{summary} {full_text_line(language)}", voice_id,
                                          user.speed, language)
        elif not spoken.text:
            voice = await self.voices.say(NO_ANSWER, voice_id, user.speed, language)
        return Reply(text=text, voice=voice, feedback=True)

    async def _recording_summary(
        self, message: StoredMessage, understanding: Understood, language: str | None
    ) -> str:
        summary = await summarise(self.engines.chat, understanding.transcript or "", language,
                                  window_tokens=self.settings.context_tokens,
                                  max_tokens=self.settings.max_tokens)  # fmt: skip
        length = minutes(understanding.recording_s or 0.0)
        return (f"Summary of your {length} recording: {summary or NO_ANSWER}\n\n"
                "(The full transcript is in /history and /export.)")

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


def _too_long(length: float, limit: float) -> str:
    return (f"That recording is {minutes(length)} long; I transcribe recordings of up to "
            f"{minutes(limit)}. Could you send a shorter part?")


def _switch_note(language: str | None, switches: tuple[tuple[float, str], ...]) -> str:
    at = ", ".join(f"{language_name(lang)} at {minutes(s)}" for s, lang in switches[:5])
    return (f"(This recording changes language — {at}; I transcribed each part in the "
            f"language it is spoken in, and answered in {language_name(language)}.)")


def _with_problem(found: Understood, problem: str) -> Understood:
    return Understood(transcript=found.transcript, language=found.language, problem=problem)

