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
from bot.engines.voice.router import VoiceRouter
from bot.ports.engines import (
    ChatModel,
    Engines,
    EngineStatus,
    ImageDescriber,
    Synthesizer,
    Transcriber,
)

log = logging.getLogger(__name__)


def build_transcriber(settings: Settings) -> Transcriber:
    if settings.speech.engine == "openai-whisper":
        from bot.engines.speech.openai_whisper import OpenAIWhisperTranscriber

        return OpenAIWhisperTranscriber(settings.speech)
    from bot.engines.speech.faster_whisper import FasterWhisperTranscriber

    return FasterWhisperTranscriber(settings.speech)


def build_chat(settings: Settings) -> ChatModel:
    if settings.chat.engine == "openai":
        from bot.engines.chat.openai_compat import OpenAICompatChat

        return OpenAICompatChat(settings.chat)
    if settings.chat.engine == "transformers":
        from bot.engines.chat.transformers import TransformersChat

        return TransformersChat(settings.chat)
    from bot.engines.chat.llama_cpp import LlamaCppChat

    return LlamaCppChat(settings.chat)


def build_describer(settings: Settings) -> ImageDescriber:
    if settings.vision.engine == "transformers":
        from bot.engines.vision.transformers import TransformersCaptioner

        return TransformersCaptioner(settings.vision)
    from bot.engines.vision.rapidocr_efficientnet import LocalDescriber

    return LocalDescriber(settings.vision)


def build_synthesizer(settings: Settings) -> Synthesizer:
    """The configured voice engine, with espeak-ng beside it for other languages."""
    from bot.engines.voice.espeak import EspeakSynthesizer
    from bot.engines.voice.piper import PiperSynthesizer

    espeak = EspeakSynthesizer(settings.voice)
    if settings.voice.engine == "espeak":
        return espeak
    piper = PiperSynthesizer(settings.voice)
    extra: list[Synthesizer] = [espeak] if shutil.which("espeak-ng") else []
    if settings.voice.engine == "edge-tts":
        from bot.engines.voice.edge_tts import EdgeSynthesizer

        members: list[Synthesizer] = [EdgeSynthesizer(settings.voice, fallback=piper), *extra]
    else:
        members = [piper, *extra]
    return VoiceRouter(members, default_voice=settings.voice.voice)


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
