"""One synthesizer in front of several voice engines, so /voice can offer all of them.

Voice ids carry their engine as a prefix (`piper:...`, `espeak:fr`,
`edge-tts:...`); a request goes to the engine that owns the id, and an
unknown id goes to the first (configured) engine's default voice, and an empty one to
the configured default voice (`OMNIVOX_TTS_VOICE`), whichever engine owns it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.ports.engines import AudioClip, EngineStatus, Synthesizer, Voice

log = logging.getLogger(__name__)


class VoiceRouter:
    """Routes each synthesis to the engine owning the voice id."""

    def __init__(self, members: Sequence[Synthesizer], *, default_voice: str = "") -> None:
        if not members:
            raise ValueError("a voice router needs at least one synthesizer")
        self.members = list(members)
        self.default_voice = default_voice
        self.name = "+".join(m.name for m in self.members)

    @property
    def primary(self) -> Synthesizer:
        return self.members[0]

    def owner(self, voice_id: str | None) -> Synthesizer:
        if voice_id:
            for member in self.members:
                if voice_id.startswith(member.name + ":"):
                    return member
        return self.primary

    async def warm_up(self) -> None:
        await asyncio.gather(*(m.warm_up() for m in self.members))

    async def voices(self) -> list[Voice]:
        """Every engine's voices, the configured engine's first; a failing extra is skipped."""
        found: list[Voice] = []
        for member in self.members:
            try:
                found += await member.voices()
            except Exception as exc:
                if member is self.primary:
                    raise
                log.warning("voices of %s unavailable: %s", member.name, exc)
        return found

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        voice_id = voice_id or self.default_voice
        owner = self.owner(voice_id)
        owned = bool(voice_id) and str(voice_id).startswith(owner.name + ":")
        return await owner.synthesize(text, voice_id if owned else None, speed)

    def status(self) -> EngineStatus:
        return self.primary.status()

    def statuses(self) -> list[EngineStatus]:
        return [m.status() for m in self.members]
