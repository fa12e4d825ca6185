"""Language codes matched to what the speech model hears and the voices speak."""

from __future__ import annotations

from bot.engines.registry import build_engines
from bot.languages import primary_language, understood, voice_for_language, voices_in
from bot.ports.engines import Voice
from tests.support.settings import make_settings

VOICES = [Voice(id="piper:x", name="Joe", language="en-US", engine="piper"),
          Voice(id="espeak:fr-fr", name="French", language="fr-fr", engine="espeak")]


def test_primary_language() -> None:
    assert primary_language("en-US") == primary_language("en_us") == primary_language("EN") == "en"
    assert primary_language(None) == ""


def test_what_the_speech_model_understands() -> None:
    english_only = build_engines(make_settings(asr_model="tiny.en")).transcriber.languages
    assert understood(english_only, "en")
    assert understood(english_only, None)
    assert not understood(english_only, "fr")  # tiny.en cannot hear French
    assert understood(english_only, "en_GB") and voice_for_language(VOICES, "en_GB") is not None
    multi = build_engines(make_settings(asr="openai-whisper")).transcriber.languages
    assert understood(multi, "fr") and voice_for_language(VOICES, "fr") == VOICES[1]
    assert understood(multi, "ja") and voice_for_language(VOICES, "ja") is None


def test_voices_for_a_typed_language_code() -> None:
    assert voices_in(VOICES, "fr") == [VOICES[1]]
    assert voices_in(VOICES, "EN") == [VOICES[0]]
    assert voices_in(VOICES, "piper:x") == [] and voices_in(VOICES, "") == []
