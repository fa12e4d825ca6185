"""What the two OpenAI-compatible audio engines share: one HTTP session per event loop,
retries of failures that may pass, and error bodies turned into readable errors.

The wire protocol is spoken over aiohttp (the server's own HTTP stack), as the chat
engine does; vLLM, speaches (faster-whisper-server), LocalAI and OpenAI serve it.
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import numpy as np

from bot.errors import EngineError
from bot.ports.engines import AudioClip
from bot.retry import RetryPolicy

T = TypeVar("T")
TIMEOUT_SECONDS = 60.0
_RETRIED = frozenset({408, 409, 429})


class Retryable(EngineError):
    """A failure that may pass: a timeout, a refused connection, 429 or 5xx."""


class AudioEndpoint:
    """One base URL and key; `call` runs a request under the retry policy."""

    def __init__(self, base_url: str, api_key: str, *, attempts: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key or 'unused'}"}
        self._retry = RetryPolicy(attempts=attempts, initial=0.5, maximum=4.0)
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        found = self._sessions.get(loop)
        if found is None or found.closed:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            found = self._sessions[loop] = aiohttp.ClientSession(timeout=timeout)
        return found

    async def call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        async def attempt() -> T:
            try:
                return await request()
            except (TimeoutError, aiohttp.ClientConnectionError) as failure:
                raise Retryable(f"{what}: {self.base_url} did not answer ({failure})") from None

        return await self._retry.run(attempt, retry_if=lambda f: isinstance(f, Retryable),
                                     what=what)  # fmt: skip


async def check(response: aiohttp.ClientResponse, what: str) -> None:
    """Raise a readable error for anything but 2xx (Retryable when trying again may help)."""
    if response.status < 300:
        return
    body = (await response.text())[:300]
    message = f"{what} failed: HTTP {response.status}: {body}"
    if response.status in _RETRIED or response.status >= 500:
        raise Retryable(message)
    raise EngineError(message)


def wav_bytes(clip: AudioClip) -> bytes:
    """The clip as 16-bit PCM WAV, the one format every such server accepts."""
    pcm = (np.clip(clip.samples, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(clip.sample_rate)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()
