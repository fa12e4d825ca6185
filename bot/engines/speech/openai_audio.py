"""Speech to text through an OpenAI-compatible `/v1/audio/transcriptions` endpoint.

So a worker needs no local model: the recognizer runs on its own machine (vLLM,
speaches/faster-whisper-server, OpenAI). The clip goes as WAV; `verbose_json` is asked
for, which carries the language and the segments' confidence signals; a server that
answers plain `json` gives the text alone (its confidence is then taken as full).
"""

from __future__ import annotations

import math
from typing import Any

import aiohttp

from bot.config import SpeechSettings
from bot.engines.audio_http import AudioEndpoint, check, wav_bytes
from bot.errors import EngineError
from bot.ports.engines import AudioClip, EngineStatus, Transcript

DEFAULT_MODEL = "whisper-1"
# OpenAI's verbose_json names the language in English; the rest of omnivox uses codes.
_NAMES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it",
    "portuguese": "pt", "dutch": "nl", "russian": "ru", "chinese": "zh", "japanese": "ja",
    "korean": "ko", "arabic": "ar", "hindi": "hi", "turkish": "tr", "polish": "pl",
    "ukrainian": "uk", "swedish": "sv", "czech": "cs", "greek": "el", "hebrew": "he",
}  # fmt: skip


def language_code(value: object) -> str | None:
    """"en" stays "en"; "english" becomes "en"; an unknown name is None (not guessed)."""
    if not isinstance(value, str) or not value:
        return None
    lowered = value.strip().lower()
    return lowered if len(lowered) <= 3 else _NAMES.get(lowered)


class OpenAIAudioTranscriber:
    name = "openai-audio"
    languages: frozenset[str] | None = None  # the server's model decides

    def __init__(self, settings: SpeechSettings) -> None:
        self.model = settings.model or DEFAULT_MODEL
        self.endpoint = AudioEndpoint(settings.base_url, settings.api_key.get_secret_value())
        self.url = f"{self.endpoint.base_url}/audio/transcriptions"

    async def warm_up(self) -> None:
        self.endpoint.session()

    def status(self) -> EngineStatus:
        return EngineStatus(job="speech", engine=self.name, available=True,
                            detail=f"{self.model} at {self.endpoint.base_url}")  # fmt: skip

    async def transcribe(self, audio: AudioClip, *, language: str | None = None) -> Transcript:
        wav = wav_bytes(audio)

        async def request() -> dict[str, Any]:
            form = aiohttp.FormData()
            form.add_field("file", wav, filename="audio.wav", content_type="audio/wav")
            form.add_field("model", self.model)
            form.add_field("response_format", "verbose_json")
            if language:
                form.add_field("language", language)
            async with self.endpoint.session().post(
                self.url, data=form, headers=self.endpoint.headers
            ) as response:
                await check(response, "transcription")
                try:
                    found: dict[str, Any] = await response.json(content_type=None)
                except ValueError:
                    raise EngineError(
                        "transcription failed: the server's answer is not JSON"
                    ) from None
                return found

        found = await self.endpoint.call("transcription", request)
        return _transcript(found, audio.duration, language)


def _transcript(found: dict[str, Any], duration: float, asked: str | None) -> Transcript:
    text = found.get("text")
    if not isinstance(text, str):
        raise EngineError("transcription failed: the server's answer has no text")
    segments = [s for s in found.get("segments") or () if isinstance(s, dict)]
    logprobs = [float(s["avg_logprob"]) for s in segments if "avg_logprob" in s]
    silent = [float(s["no_speech_prob"]) for s in segments if "no_speech_prob" in s]
    avg_logprob = sum(logprobs) / len(logprobs) if logprobs else 0.0
    return Transcript(
        text=text.strip(),
        language=asked or language_code(found.get("language")),
        duration=float(found.get("duration") or duration),
        confidence=math.exp(avg_logprob) if logprobs else 1.0,
        no_speech_prob=max(silent) if silent else 0.0,
        avg_logprob=avg_logprob,
    )
