"""Voice engines: espeak-ng's real voices, edge-tts falling back to Piper, the router."""

from __future__ import annotations

import logging
import shutil
from typing import Any

import pytest

from bot.engines.voice.edge_tts import EdgeSynthesizer, rate_for
from bot.engines.voice.espeak import EspeakSynthesizer, parse_voices, wav_to_clip
from bot.engines.voice.router import VoiceRouter
from tests.support.settings import make_settings

LISTING = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  af              --/M      Afrikaans          gmw/af
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  fr-fr           --/M      French_(France)    roa/fr
"""

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")


def test_parse_espeak_voices() -> None:
    voices = parse_voices(LISTING)
    assert [(v.id, v.name, v.language) for v in voices] == [
        ("espeak:af", "Afrikaans", "af"),
        ("espeak:en-us", "English (America)", "en-us"),
        ("espeak:fr-fr", "French (France)", "fr-fr"),
    ]


def test_rate_for_speed() -> None:
    assert rate_for(1.0) == "+0%"
    assert rate_for(1.25) == "+25%"
    assert rate_for(0.8) == "-20%"
    assert rate_for(9) == "+100%"


def test_bad_wav_from_espeak() -> None:
    with pytest.raises(Exception, match="WAV"):
        wav_to_clip(b"nonsense")


@needs_espeak
async def test_espeak_lists_real_voices_and_speaks() -> None:
    engine = EspeakSynthesizer(make_settings(tts="espeak").voice)
    voices = await engine.voices()
    languages = {v.language for v in voices}
    assert {"en-us", "fr-fr", "de"} <= languages
    assert len(voices) > 50
    french = await engine.synthesize("Bonjour tout le monde", "espeak:fr-fr")
    slow = await engine.synthesize("Bonjour tout le monde", "espeak:fr-fr", speed=0.5)
    assert french.sample_rate == 22_050
    assert 0.5 < french.duration < 3.0
    assert slow.duration > french.duration * 1.5
    assert engine.status().available


@needs_espeak
async def test_espeak_text_is_not_an_option() -> None:
    engine = EspeakSynthesizer(make_settings(tts="espeak").voice)
    clip = await engine.synthesize("--version", None)
    assert clip.duration > 0.3  # spoken, not parsed as a flag


@pytest.mark.slow
async def test_edge_tts_unreachable_falls_back_to_piper(
    piper: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("edge_tts")
    # A proxy on a closed local port makes every connection fail at once, offline.
    edge = EdgeSynthesizer(make_settings(tts="edge-tts").voice, fallback=piper,
                           proxy="http://127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger="bot.engines.voice.edge_tts"):
        clip = await edge.synthesize("Hello from the fallback voice.", None)
    assert clip.sample_rate == 22_050 and clip.duration > 1.0
    warning = next(r for r in caplog.records if "edge-tts unreachable" in r.getMessage())
    assert "piper" in warning.getMessage()
    assert edge.last_error  # the reason is kept for doctor
    voices = await edge.voices()  # still down: the fallback's voices are offered
    assert voices and voices[0].engine == "piper"
    assert "last failure" in edge.status().detail


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
