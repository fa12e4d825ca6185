"""The voice router sends each synthesis to the engine owning the voice id."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from bot.engines.voice.espeak import EspeakSynthesizer
from bot.engines.voice.router import VoiceRouter
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
