"""Build the configured engines from settings, and report on them for `omnivox doctor`.

Each kind of engine has a table from the name its settings section allows
(`OMNIVOX_ASR`, `OMNIVOX_LLM`, `OMNIVOX_TTS`, `OMNIVOX_VISION`) to a factory
that receives only that section. Building is cheap: a factory imports its
engine's module, never the library behind it, and loads no model. Each
engine loads on `warm_up()` (the app calls it in the background at start-up)
or on first use. A missing package or model surfaces as `EngineUnavailable`
with a hint, both in errors and in `engine_statuses`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from bot.config import ChatSettings, Settings, SpeechSettings, VisionSettings, VoiceSettings
from bot.engines.voice.router import VoiceRouter
from bot.ports.engines import (
    ChatModel,
    Engines,
    EngineStatus,
    ImageDescriber,
    Synthesizer,
    Transcriber,
)


def _faster_whisper(settings: SpeechSettings) -> Transcriber:
    from bot.engines.speech.faster_whisper import FasterWhisperTranscriber

    return FasterWhisperTranscriber(settings)


def _openai_whisper(settings: SpeechSettings) -> Transcriber:
    from bot.engines.speech.openai_whisper import OpenAIWhisperTranscriber

    return OpenAIWhisperTranscriber(settings)


def _openai_audio_speech(settings: SpeechSettings) -> Transcriber:
    from bot.engines.speech.openai_audio import OpenAIAudioTranscriber

    return OpenAIAudioTranscriber(settings)


def _llama_cpp(settings: ChatSettings) -> ChatModel:
    from bot.engines.chat.llama_cpp import LlamaCppChat

    return LlamaCppChat(settings)


def _transformers_chat(settings: ChatSettings) -> ChatModel:
    from bot.engines.chat.transformers import TransformersChat

    return TransformersChat(settings)


def _openai_compat(settings: ChatSettings) -> ChatModel:
    from bot.engines.chat.openai_compat import OpenAICompatChat

    return OpenAICompatChat(settings)


def _local_vision(settings: VisionSettings) -> ImageDescriber:
    from bot.engines.vision.rapidocr_efficientnet import LocalDescriber

    return LocalDescriber(settings)


def _captioner(settings: VisionSettings) -> ImageDescriber:
    from bot.engines.vision.transformers import TransformersCaptioner

    return TransformersCaptioner(settings)


def _routed(settings: VoiceSettings, primary: Synthesizer) -> Synthesizer:
    """The configured engine first, espeak-ng beside it for other languages when installed."""
    from bot.engines.voice.espeak import EspeakSynthesizer

    espeak = EspeakSynthesizer(settings)
    extra: list[Synthesizer] = [espeak] if shutil.which("espeak-ng") else []
    return VoiceRouter([primary, *extra], default_voice=settings.voice)


def _piper(settings: VoiceSettings) -> Synthesizer:
    from bot.engines.voice.piper import PiperSynthesizer

    return _routed(settings, PiperSynthesizer(settings))


def _edge_tts(settings: VoiceSettings) -> Synthesizer:
    """edge-tts online, Piper speaking whenever the service cannot be reached."""
    from bot.engines.voice.edge_tts import EdgeSynthesizer
    from bot.engines.voice.piper import PiperSynthesizer

    return _routed(settings, EdgeSynthesizer(settings, fallback=PiperSynthesizer(settings)))


def _openai_audio_voice(settings: VoiceSettings) -> Synthesizer:
    from bot.engines.voice.openai_audio import OpenAIAudioSynthesizer

    return _routed(settings, OpenAIAudioSynthesizer(settings))


def _espeak(settings: VoiceSettings) -> Synthesizer:
    from bot.engines.voice.espeak import EspeakSynthesizer

    return EspeakSynthesizer(settings)


# Keyed by exactly the values each settings section's `engine` field allows.
SPEECH: dict[str, Callable[[SpeechSettings], Transcriber]] = {
    "faster-whisper": _faster_whisper,
    "openai-whisper": _openai_whisper,
    "openai": _openai_audio_speech,
}
CHAT: dict[str, Callable[[ChatSettings], ChatModel]] = {
    "llama-cpp": _llama_cpp,
    "transformers": _transformers_chat,
    "openai": _openai_compat,
}
VOICE: dict[str, Callable[[VoiceSettings], Synthesizer]] = {
    "piper": _piper,
    "edge-tts": _edge_tts,
    "espeak": _espeak,
    "openai": _openai_audio_voice,
}
VISION: dict[str, Callable[[VisionSettings], ImageDescriber]] = {
    "local": _local_vision,
    "transformers": _captioner,
}


def build_transcriber(settings: Settings) -> Transcriber:
    return SPEECH[settings.speech.engine](settings.speech)


def build_chat(settings: Settings) -> ChatModel:
    return CHAT[settings.chat.engine](settings.chat)


def build_describer(settings: Settings) -> ImageDescriber:
    return VISION[settings.vision.engine](settings.vision)


def build_synthesizer(settings: Settings) -> Synthesizer:
    """The configured voice engine, with espeak-ng beside it for other languages."""
    return VOICE[settings.voice.engine](settings.voice)


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
