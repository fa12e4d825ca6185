"""Text to speech with the espeak-ng binary (Debian package `espeak-ng`).

Robotic but tiny, instant and in about a hundred languages: the offline voice
for languages no neural voice covers. It runs as an asyncio subprocess (the
text goes in on stdin, never as an argument), so nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import shutil
import struct
import subprocess

import numpy as np

from bot.config import VoiceSettings
from bot.engines.runtime import Bound
from bot.errors import EngineError, EngineUnavailable
from bot.ports.engines import AudioClip, EngineStatus, Voice

HINT = "apt-get install espeak-ng"
PREFIX = "espeak:"
BASE_WORDS_PER_MINUTE = 170
TIMEOUT_SECONDS = 60.0


def parse_voices(listing: str) -> list[Voice]:
    """Parse `espeak-ng --voices`: one voice per language code, in the order given."""
    voices: list[Voice] = []
    seen: set[str] = set()
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 4 or parts[1] in seen:
            continue
        code, label = parts[1], parts[3].replace("_", " ")
        seen.add(code)
        voices.append(Voice(id=PREFIX + code, name=label, language=code, engine="espeak"))
    return voices


def wav_to_clip(data: bytes) -> AudioClip:
    """Read espeak-ng's 16-bit mono WAV (its header sizes are placeholders when piped)."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise EngineError("espeak-ng did not produce WAV audio")
    rate = struct.unpack_from("<I", data, 24)[0]
    start = data.find(b"data", 12)
    pcm = data[start + 8 :] if start >= 0 else data[44:]
    pcm = pcm[: len(pcm) - len(pcm) % 2]
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return AudioClip(samples=samples, sample_rate=rate)


class EspeakSynthesizer:
    """Synthesises with espeak-ng; voice ids look like `espeak:fr`."""

    name = "espeak"

    def __init__(self, settings: VoiceSettings) -> None:
        self._binary = shutil.which("espeak-ng")
        default = settings.voice if settings.voice.startswith(PREFIX) else ""
        self.default_voice = default or PREFIX + "en-us"
        self._bound = Bound(max(1, settings.concurrency))
        self._voices: list[Voice] | None = None

    def _require(self) -> str:
        if self._binary is None:
            raise EngineUnavailable("espeak-ng is not installed", hint=HINT)
        return self._binary

    async def warm_up(self) -> None:
        await self.voices()

    async def voices(self) -> list[Voice]:
        if self._voices is None:
            out = await self._run(["--voices"], b"")
            self._voices = parse_voices(out.decode("utf-8", "replace"))
        return self._voices

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        voice = (voice_id or self.default_voice).removeprefix(PREFIX)
        known = {v.language for v in await self.voices()}
        if voice not in known:
            voice = self.default_voice.removeprefix(PREFIX)
        wpm = str(int(BASE_WORDS_PER_MINUTE * min(3.0, max(0.3, speed))))
        async with self._bound.semaphore():
            wav = await self._run(["-v", voice, "-s", wpm, "--stdout"], text.encode("utf-8"))
        return wav_to_clip(wav)

    async def _run(self, args: list[str], stdin: bytes) -> bytes:
        proc = await asyncio.create_subprocess_exec(
            self._require(), *args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), TIMEOUT_SECONDS)
        except BaseException:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        if proc.returncode != 0:
            raise EngineError(f"espeak-ng failed: {err.decode('utf-8', 'replace').strip()}")
        return out

    def status(self) -> EngineStatus:
        if self._binary is None:
            return EngineStatus(
                job="voice", engine=self.name, available=False,
                detail="the espeak-ng binary is not on PATH", hint=HINT,
            )
        count = f"{len(self._voices)} voices" if self._voices else "voices listed on first use"
        return EngineStatus(
            job="voice", engine=self.name, available=True,
            detail=f"{self._binary}, {count}",
        )
