"""The voice router sends each synthesis to the engine owning the voice id."""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np
import pytest

from bot.engines.voice.espeak import EspeakSynthesizer
from bot.engines.voice.router import VoiceRouter
from bot.ports.engines import AudioClip, EngineStatus, Voice
from tests.support.settings import make_settings

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")


@pytest.mark.slow
@needs_espeak
async def test_router_routes_by_voice_id(piper: Any) -> None:
    router = VoiceRouter([piper, EspeakSynthesizer(make_settings().voice)])
    voices = await router.voices()
    assert voices[0].id == "piper:en_US-joe-medium"
    assert any(v.id == "espeak:fr-fr" for v in voices)
    assert router.owner("espeak:fr-fr").name == "espeak"
    assert router.owner(None) is piper
    assert router.owner("edge-tts:xx") is piper
    assert (await router.synthesize("Salut", "espeak:fr-fr")).sample_rate == 22_050
    assert (await router.synthesize("Hi", None)).sample_rate == 22_050
    assert len(router.statuses()) == 2


class Named:
    """A synthesizer that records what it was asked; `broken` makes its voice list fail."""

    def __init__(self, name: str, *, broken: bool = False) -> None:
        self.name = name
        self.broken = broken
        self.asked: list[str | None] = []

    async def warm_up(self) -> None:
        return None

    def status(self) -> EngineStatus:
        return EngineStatus(job="voice", engine=self.name, available=True, detail="test")

    async def voices(self) -> list[Voice]:
        if self.broken:
            raise RuntimeError(f"{self.name} is down")
        return [Voice(id=f"{self.name}:v", name="V", language="en", engine=self.name)]

    async def synthesize(self, text: str, voice_id: str | None, speed: float = 1.0) -> AudioClip:
        self.asked.append(voice_id)
        return AudioClip(samples=np.zeros(10, np.float32), sample_rate=8000)


def test_a_router_needs_an_engine() -> None:
    with pytest.raises(ValueError, match="at least one"):
        VoiceRouter([])


async def test_the_configured_default_voice_goes_to_its_engine() -> None:
    piper, espeak = Named("piper"), Named("espeak")
    router = VoiceRouter([piper, espeak], default_voice="espeak:fr")
    await router.synthesize("Salut", None)
    await router.synthesize("Hi", "piper:v")
    await router.synthesize("Hi", "other:x")
    assert espeak.asked == ["espeak:fr"]
    assert piper.asked == ["piper:v", None]  # an unknown id: the first engine's own default
    assert router.name == "piper+espeak" and router.status().engine == "piper"


async def test_a_failing_extra_engine_is_left_out_of_the_voices() -> None:
    router = VoiceRouter([Named("piper"), Named("espeak", broken=True)])
    assert [v.id for v in await router.voices()] == ["piper:v"]
    with pytest.raises(RuntimeError, match="down"):
        await VoiceRouter([Named("piper", broken=True), Named("espeak")]).voices()
