"""A fake OpenAI-compatible audio server on 127.0.0.1: /v1/audio/transcriptions and
/v1/audio/speech, as vLLM, speaches and OpenAI serve them.

It checks what a real one would refuse (a file that is not audio, no model, no input),
records every request, and can be told to fail the next calls with a status.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

SPEECH_RATE = 24_000


@dataclass
class Heard:
    model: str
    language: str | None
    response_format: str
    seconds: float
    authorization: str


@dataclass
class FakeAudioServer:
    transcript: str = "hello from the fake recognizer"
    language: str = "english"  # as OpenAI's verbose_json names it
    plain_json: bool = False  # answer only {"text": ...}, as some servers do
    heard: list[Heard] = field(default_factory=list)
    spoken: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses for the next calls
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> FakeAudioServer:
        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        app.router.add_post("/v1/audio/speech", self._speak)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _failure(self) -> web.Response | None:
        if not self.failures:
            return None
        status = self.failures.pop(0)
        return web.json_response({"error": {"message": f"injected {status}"}}, status=status)

    async def _transcribe(self, request: web.Request) -> web.Response:
        if (failed := self._failure()) is not None:
            return failed
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField) or not form.get("model"):
            return web.json_response({"error": {"message": "file and model are required"}},
                                     status=400)  # fmt: skip
        try:
            with wave.open(io.BytesIO(upload.file.read())) as wav:
                seconds = wav.getnframes() / wav.getframerate()
        except (wave.Error, EOFError):
            return web.json_response({"error": {"message": "not audio"}}, status=400)
        language = str(form["language"]) if "language" in form else None
        self.heard.append(Heard(model=str(form["model"]), language=language,
                                response_format=str(form.get("response_format", "json")),
                                seconds=seconds,
                                authorization=request.headers.get("Authorization", ""),
                                ))  # fmt: skip
        if self.plain_json:
            return web.json_response({"text": self.transcript})
        return web.json_response({
            "text": self.transcript, "language": language or self.language,
            "duration": seconds,
            "segments": [{"text": self.transcript, "avg_logprob": -0.2, "no_speech_prob": 0.01}],
        })  # fmt: skip

    async def _speak(self, request: web.Request) -> web.Response:
        if (failed := self._failure()) is not None:
            return failed
        body = await request.json()
        if not body.get("input") or not body.get("model") or not body.get("voice"):
            return web.json_response({"error": {"message": "model, input, voice required"}},
                                     status=400)  # fmt: skip
        self.spoken.append(body)
        seconds = 0.1 * len(str(body["input"]).split())
        return web.Response(body=tone_wav(seconds), content_type="audio/wav")


def tone_wav(seconds: float, rate: int = SPEECH_RATE) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 0.3 * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()
