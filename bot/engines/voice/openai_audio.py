"""Text to speech through an OpenAI-compatible `/v1/audio/speech` endpoint.

The synthesiser runs on its own machine (speaches/Kokoro, vLLM, OpenAI) and a worker
needs no voice model. WAV is asked for, so the audio is read without guessing its
format; the reply's voice note is then made from it as for any local voice.
"""

from __future__ import annotations

import asyncio

from bot.config import VoiceSettings
from bot.engines.audio_http import AudioEndpoint, check
from bot.errors import EngineError
from bot.ports.engines import AudioClip, EngineStatus, Voice

PREFIX = "openai:"
DEFAULT_MODEL = "tts-1"
# OpenAI's voices; other servers have their own names, set one with OMNIVOX_TTS_VOICE
OPENAI_VOICES = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
MAX_INPUT = 4096  # characters the API takes at once


class OpenAIAudioSynthesizer:
    name = "openai-audio"

    def __init__(self, settings: VoiceSettings) -> None:
        self.model = settings.model or DEFAULT_MODEL
        configured = settings.voice.removeprefix(PREFIX)
        self.default_voice = configured or OPENAI_VOICES[0]
        self.endpoint = AudioEndpoint(settings.base_url, settings.api_key.get_secret_value())
        self.url = f"{self.endpoint.base_url}/audio/speech"

    async def warm_up(self) -> None:
        self.endpoint.session()

    def status(self) -> EngineStatus:
        return EngineStatus(job="voice", engine=self.name, available=True,
                            detail=f"{self.model}, voice {self.default_voice}, at "
                            f"{self.endpoint.base_url}")  # fmt: skip

    async def voices(self) -> list[Voice]:
        names = dict.fromkeys((self.default_voice, *OPENAI_VOICES))
        return [Voice(id=PREFIX + n, name=n, language="", engine=self.name) for n in names]

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        from bot.audio import decode_audio

        voice = (voice_id or "").removeprefix(PREFIX) or self.default_voice
        body = {"model": self.model, "input": text[:MAX_INPUT], "voice": voice,
                "response_format": "wav", "speed": min(4.0, max(0.25, speed))}  # fmt: skip

        async def request() -> bytes:
            async with self.endpoint.session().post(
                self.url, json=body, headers=self.endpoint.headers
            ) as response:
                await check(response, "speech")
                return await response.read()

        audio = await self.endpoint.call("speech", request)
        if not audio:
            raise EngineError("speech failed: the server sent no audio")
        try:
            return await asyncio.to_thread(decode_audio, audio, sample_rate=24_000)
        except Exception as failure:
            raise EngineError(
                f"speech failed: the server's audio is unreadable ({failure})"
            ) from failure
