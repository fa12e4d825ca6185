"""Which voice speaks a reply: one that speaks the reply's language.

The user's own pick when it speaks that language; else the configured default voice when
it does; else the first voice that does, neural voices (Piper, edge-tts) before espeak-ng,
because the voice router lists the configured engine's voices first. None: no voice here
speaks the language, and the reply goes out as text with a line saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.errors import EngineError
from bot.languages import language_name, primary_language
from bot.metrics import timed
from bot.models import VoiceAudio
from bot.ports.engines import AudioClip, Synthesizer, Voice
from bot.ports.store import UserSettings
from bot.speaking import Speak, speak_text

log = logging.getLogger(__name__)

NO_VOICE = "(No voice here speaks {name}, so this answer is text only.)"


def pick_voice(
    voices: Sequence[Voice], language: str | None, *, chosen: str | None, default: str | None
) -> Voice | None:
    wanted = primary_language(language)
    by_id = {v.id: v for v in voices}
    for candidate in (chosen, default):
        voice = by_id.get(candidate or "")
        if voice is not None and (not wanted or primary_language(voice.language) == wanted):
            return voice
    if not wanted:
        first = voices[0] if voices else None
        return by_id.get(chosen or "") or by_id.get(default or "") or first
    return next((v for v in voices if primary_language(v.language) == wanted), None)


def no_voice_line(language: str | None) -> str:
    return NO_VOICE.format(name=language_name(language))


def by_language(voices: Sequence[Voice]) -> dict[str, list[Voice]]:
    """Voices grouped by primary language, in the order the engines list them."""
    groups: dict[str, list[Voice]] = {}
    for voice in voices:
        groups.setdefault(primary_language(voice.language), []).append(voice)
    return groups


_FULL_TEXT = {
    "en": "The full answer is in the text.", "fr": "La réponse complète est dans le texte.",
    "de": "Die ganze Antwort steht im Text.", "es": "La respuesta completa está en el texto.",
    "it": "La risposta completa è nel testo.", "pt": "A resposta completa está no texto.",
    "zh": "完整的回答在文字里。", "ja": "詳しい答えはテキストにあります。",
}  # fmt: skip


def full_text_line(language: str | None) -> str:
    """Said after a spoken summary: the whole answer is in the text beside it."""
    return _FULL_TEXT.get(primary_language(language), _FULL_TEXT["en"])


class ReplyVoice:
    """The synthesizer as a reply uses it: a voice for the language, and speaking text."""

    def __init__(self, synthesizer: Synthesizer) -> None:
        self.synthesizer = synthesizer

    async def choose(self, user: UserSettings, language: str | None) -> tuple[str | None, str]:
        """(voice id, "") for the reply's language, or (None, the line saying why not)."""
        try:
            voices = await self.synthesizer.voices()
        except EngineError as failure:
            log.warning("no voices to speak with: %s", failure)
            return None, ""
        default = getattr(self.synthesizer, "default_voice", None) or None
        voice = pick_voice(voices, language, chosen=user.voice, default=default)
        if voice is None:
            return None, no_voice_line(language) if voices else ""
        return voice.id, ""

    def speaker(self, voice_id: str | None, speed: float) -> Speak:
        synthesizer = self.synthesizer

        async def speak(sentence: str) -> AudioClip:
            with timed("synthesise"):
                return await synthesizer.synthesize(sentence, voice_id, speed)

        return speak

    async def say(self, text: str, voice_id: str | None, speed: float,
                  language: str | None) -> VoiceAudio | None:  # fmt: skip
        """`text` spoken sentence by sentence; None (a text reply) when it cannot be."""
        try:
            return await speak_text(text, self.speaker(voice_id, speed), language=language)
        except EngineError as failure:
            log.warning("voice reply fell back to text: %s", failure)
            return None
