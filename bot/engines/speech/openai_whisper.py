"""Speech to text with openai-whisper (PyTorch): multilingual, with language detection.

`OMNIVOX_ASR_MODEL` is a model name ("base", "small"...; fetched into
~/.cache/whisper on first use, so it needs the internet once) or the path of a
local checkpoint file. Install with `pip install --no-deps openai-whisper`
plus its runtime needs (the `remote` extra): its triton dependency is GPU-only.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from bot.config import SpeechSettings
from bot.engines.runtime import Bound, LazyModel
from bot.engines.speech.segments import summarise_segments
from bot.ports.engines import AudioClip, EngineStatus, Transcript

HINT = "pip install --no-deps openai-whisper && pip install 'omnivox[remote]'"
DEFAULT_MODEL = "base"


class OpenAIWhisperTranscriber:
    """Whisper on PyTorch, CPU, fp32."""

    name = "openai-whisper"

    def __init__(self, settings: SpeechSettings) -> None:
        self.model_name = settings.model or DEFAULT_MODEL
        self._language = settings.language or None
        english_only = self.model_name.endswith(".en")
        self.languages: frozenset[str] | None = frozenset({"en"}) if english_only else None
        self._bound = Bound(max(1, settings.concurrency))
        self._model: LazyModel[Any] = LazyModel(self.name, self._load, hint=HINT)

    def _load(self) -> Any:
        import whisper

        return whisper.load_model(self.model_name, device="cpu")

    async def warm_up(self) -> None:
        await self._model.get()

    async def transcribe(self, audio: AudioClip, *, language: str | None = None) -> Transcript:
        model = await self._model.get()
        return await self._bound.run(self._run, model, audio, self._language or language)

    def _run(self, model: Any, audio: AudioClip, language: str | None) -> Transcript:
        result = model.transcribe(
            audio.samples,
            language=language,
            fp16=False,
            temperature=(0.0, 0.4, 0.8),
            condition_on_previous_text=False,
            verbose=None,
        )
        segments = [_Segment(s) for s in result.get("segments", [])]
        text = str(result.get("text", "")).strip()
        return summarise_segments(text, segments, result.get("language"), audio.duration)

    def status(self) -> EngineStatus:
        job = "speech"
        if importlib.util.find_spec("whisper") is None:
            return EngineStatus(
                job=job, engine=self.name, available=False,
                detail="openai-whisper is not installed", hint=HINT,
            )
        local = Path(self.model_name).expanduser()
        cached = Path.home() / ".cache" / "whisper" / f"{self.model_name}.pt"
        where = f"checkpoint {local}" if local.suffix else f"model {self.model_name!r}"
        if not local.suffix and not cached.is_file():
            where += " (fetched from the internet on first use)"
        if local.suffix and not local.is_file():
            return EngineStatus(
                job=job, engine=self.name, available=False,
                detail=f"no checkpoint at {local}", hint="set OMNIVOX_ASR_MODEL",
            )
        if self._model.last_error:
            return EngineStatus(
                job=job, engine=self.name, available=False,
                detail=f"failed to load: {self._model.last_error}", hint="check OMNIVOX_ASR_MODEL",
            )
        return EngineStatus(
            job=job, engine=self.name, available=True, detail=f"{where}, multilingual"
        )


class _Segment:
    """openai-whisper's segment dicts seen through faster-whisper's attribute names."""

    __slots__ = ("avg_logprob", "end", "no_speech_prob", "start")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.start = float(raw.get("start", 0.0))
        self.end = float(raw.get("end", 0.0))
        self.avg_logprob = float(raw.get("avg_logprob", 0.0))
        self.no_speech_prob = float(raw.get("no_speech_prob", 0.0))
