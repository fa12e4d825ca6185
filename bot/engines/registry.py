"""Build the configured engines from settings, and report on them for `omnivox doctor`.

Building is cheap: no heavy library is imported and no model is loaded here.
Each engine loads on `warm_up()` (the app calls it in the background at
start-up) or on first use. A missing package or model surfaces as
`EngineUnavailable` with a hint, both in errors and in `engine_statuses`.
"""

from __future__ import annotations

import logging
import shutil

from bot.config import Settings
from bot.engines.base import (
    ChatModel,
    Engines,
    EngineStatus,
    ImageDescriber,
    Synthesizer,
    Transcriber,
    Voice,
)
from bot.engines.voices import VoiceRouter

log = logging.getLogger(__name__)


def build_transcriber(settings: Settings) -> Transcriber:
    if settings.asr == "openai-whisper":
        from bot.engines.openai_whisper import OpenAIWhisperTranscriber

        return OpenAIWhisperTranscriber(settings)
    from bot.engines.faster_whisper import FasterWhisperTranscriber

    return FasterWhisperTranscriber(settings)


def build_chat(settings: Settings) -> ChatModel:
    if settings.llm == "openai":
        from bot.engines.openai_compat import OpenAICompatChat

        return OpenAICompatChat(settings)
    if settings.llm == "transformers":
        from bot.engines.transformers_chat import TransformersChat

        return TransformersChat(settings)
    from bot.engines.llama_cpp import LlamaCppChat

    return LlamaCppChat(settings)


def build_describer(settings: Settings) -> ImageDescriber:
    if settings.vision == "transformers":
        from bot.engines.captioner import TransformersCaptioner

        return TransformersCaptioner(settings)
    from bot.engines.local_vision import LocalDescriber

    return LocalDescriber(settings)


def build_synthesizer(settings: Settings) -> Synthesizer:
    """The configured voice engine, with espeak-ng beside it for other languages."""
    from bot.engines.espeak import EspeakSynthesizer
    from bot.engines.piper import PiperSynthesizer

    espeak = EspeakSynthesizer(settings)
    if settings.tts == "espeak":
        return espeak
    piper = PiperSynthesizer(settings)
    extra: list[Synthesizer] = [espeak] if shutil.which("espeak-ng") else []
    if settings.tts == "edge-tts":
        from bot.engines.edge import EdgeSynthesizer

        return VoiceRouter([EdgeSynthesizer(settings, fallback=piper), *extra])
    return VoiceRouter([piper, *extra])


def build_engines(settings: Settings) -> Engines:
    """Engines for the pipeline; nothing heavy is imported or loaded yet."""
    return Engines(
        transcriber=build_transcriber(settings),
        describer=build_describer(settings),
        chat=build_chat(settings),
        synthesizer=build_synthesizer(settings),
    )


def engine_statuses(settings: Settings, engines: Engines | None = None) -> list[EngineStatus]:
    """One line per engine for `omnivox doctor`: available or not, and what to do."""
    built = engines or build_engines(settings)
    lines: list[EngineStatus] = []
    for engine in built.all():
        if isinstance(engine, VoiceRouter):
            lines += engine.statuses()
        else:
            lines.append(engine.status())
    return lines


def primary_language(code: str | None) -> str:
    """`en-US`, `en_us`, `en` all become `en`."""
    return (code or "").replace("_", "-").split("-")[0].lower()


def language_supported(
    engines: Engines, lang: str | None, voices: list[Voice] | None = None
) -> bool:
    """Whether we can understand speech in `lang` (and speak it, when voices are given).

    An unknown language (None or empty) is assumed supported: nothing to refuse.
    """
    wanted = primary_language(lang)
    if not wanted:
        return True
    heard = engines.transcriber.languages
    if heard is not None and wanted not in {primary_language(x) for x in heard}:
        return False
    if voices is None:
        return True
    return any(primary_language(v.language) == wanted for v in voices)


def voice_for_language(voices: list[Voice], lang: str | None) -> Voice | None:
    """The first voice that speaks `lang` (the configured engine's voices come first)."""
    wanted = primary_language(lang)
    return next((v for v in voices if primary_language(v.language) == wanted), None)
