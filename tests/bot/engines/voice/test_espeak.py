"""espeak-ng: its voice listing parsed, its real voices speaking, text never taken as a flag."""

from __future__ import annotations

import shutil

import pytest

from bot.engines.voice.espeak import EspeakSynthesizer, parse_voices, wav_to_clip
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
