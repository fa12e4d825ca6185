"""Text to speech with edge-tts: hundreds of neural voices in many languages, online.

It needs the internet. When the service cannot be reached the reply is still
spoken, by the fallback engine (Piper), and a log line says why; after a
failure the service is not tried again for a minute, so an offline server
does not pay the connection timeout on every reply.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from typing import Any

from bot.config import VoiceSettings
from bot.errors import EngineUnavailable
from bot.ports.engines import AudioClip, EngineStatus, Synthesizer, Voice

log = logging.getLogger(__name__)

HINT = "pip install edge-tts (and allow outbound HTTPS)"
PREFIX = "edge-tts:"
DEFAULT_VOICE = "en-US-AriaNeural"
RETRY_AFTER_SECONDS = 60.0
CONNECT_TIMEOUT = 5
RECEIVE_TIMEOUT = 30


def rate_for(speed: float) -> str:
    """edge-tts wants a signed percentage: 1.25 → "+25%"."""
    return f"{round((min(2.0, max(0.5, speed)) - 1.0) * 100):+d}%"


class EdgeSynthesizer:
    """edge-tts voices, with a local synthesizer behind them when offline."""

    name = "edge-tts"

    def __init__(
        self, settings: VoiceSettings, *, fallback: Synthesizer, proxy: str | None = None
    ) -> None:
        configured = settings.voice.removeprefix(PREFIX)
        self.default_voice = configured if settings.voice.startswith(PREFIX) else DEFAULT_VOICE
        self.fallback = fallback
        self._proxy = proxy
        self._voices: list[Voice] | None = None
        self._down_until = 0.0
        self.last_error: str | None = None

    def _module(self) -> Any:
        try:
            import edge_tts
        except ImportError as exc:
            raise EngineUnavailable("edge-tts is not installed", hint=HINT) from exc
        return edge_tts

    def _reachable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, exc: BaseException, doing: str) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
        log.warning(
            "edge-tts unreachable while %s (%s); using %s instead",
            doing, self.last_error, self.fallback.name,
        )

    async def warm_up(self) -> None:
        await self.fallback.warm_up()

    async def voices(self) -> list[Voice]:
        """The service's voices when reachable; otherwise the fallback's."""
        if self._voices is None and self._reachable():
            try:
                listed = await self._module().list_voices(proxy=self._proxy)
            except EngineUnavailable:
                raise
            except Exception as exc:
                self._mark_down(exc, "listing voices")
            else:
                self._voices = [_voice(v) for v in listed]
        return self._voices if self._voices is not None else await self.fallback.voices()

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        if voice_id and not voice_id.startswith(PREFIX):
            return await self.fallback.synthesize(text, voice_id, speed)
        if self._reachable():
            voice = (voice_id or "").removeprefix(PREFIX) or self.default_voice
            try:
                return await self._speak(text, voice, speed)
            except EngineUnavailable:
                raise
            except Exception as exc:
                self._mark_down(exc, "speaking")
        else:
            log.info("edge-tts marked unreachable (%s); speaking with %s",
                     self.last_error, self.fallback.name)
        return await self.fallback.synthesize(text, None, speed)

    async def _speak(self, text: str, voice: str, speed: float) -> AudioClip:
        from bot.audio import decode_audio

        communicate = self._module().Communicate(
            text, voice, rate=rate_for(speed), proxy=self._proxy,
            connect_timeout=CONNECT_TIMEOUT, receive_timeout=RECEIVE_TIMEOUT,
        )
        mp3 = bytearray()
        async for chunk in communicate.stream():
            if chunk.get("type") == "audio":
                mp3 += chunk["data"]
        return decode_audio(bytes(mp3), sample_rate=24_000)

    def status(self) -> EngineStatus:
        if importlib.util.find_spec("edge_tts") is None:
            return EngineStatus(
                job="voice", engine=self.name, available=False,
                detail="edge-tts is not installed", hint=HINT,
            )
        state = f"last failure: {self.last_error}" if self.last_error else "online service"
        return EngineStatus(
            job="voice", engine=self.name, available=True,
            detail=f"default voice {self.default_voice}, {state}; falls back to "
            f"{self.fallback.name} offline",
        )


def _voice(raw: dict[str, Any]) -> Voice:
    short = str(raw.get("ShortName", ""))
    label = str(raw.get("FriendlyName") or short)
    return Voice(id=PREFIX + short, name=label, language=str(raw.get("Locale", "")),
                 engine="edge-tts")
