"""Speech to text and text to speech through OpenAI-compatible endpoints (a fake server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from bot.config import SpeechSettings, VoiceSettings
from bot.engines.registry import SPEECH, VOICE
from bot.engines.speech.openai_audio import OpenAIAudioTranscriber, language_code
from bot.engines.voice.openai_audio import OpenAIAudioSynthesizer
from bot.engines.voice.router import VoiceRouter
from bot.errors import EngineError
from bot.ports.engines import AudioClip
from tests.fakes.audio_server import FakeAudioServer


@pytest.fixture
async def server() -> AsyncIterator[FakeAudioServer]:
    fake = await FakeAudioServer().start()
    yield fake
    await fake.stop()


def _clip(seconds: float = 1.5) -> AudioClip:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return AudioClip(samples=(np.sin(2 * np.pi * 220 * t) * 0.2).astype(np.float32),
                     sample_rate=16_000)  # fmt: skip


def _asr(server: FakeAudioServer, **more: object) -> OpenAIAudioTranscriber:
    return OpenAIAudioTranscriber(SpeechSettings(engine="openai", base_url=server.base_url,
                                                 api_key="sk-test", **more))  # fmt: skip


def _tts(server: FakeAudioServer, **more: object) -> OpenAIAudioSynthesizer:
    return OpenAIAudioSynthesizer(VoiceSettings(engine="openai", base_url=server.base_url,
                                                **more))  # fmt: skip


async def test_a_clip_is_sent_as_wav_and_its_words_and_language_come_back(
    server: FakeAudioServer,
) -> None:
    found = await _asr(server, model="Systran/faster-whisper-small").transcribe(_clip())
    assert found.text == "hello from the fake recognizer"
    assert found.language == "en"  # "english" as OpenAI names it
    assert 0.8 < found.confidence < 0.9 and found.no_speech_prob == 0.01
    (heard,) = server.heard
    assert heard.model == "Systran/faster-whisper-small" and heard.language is None
    assert heard.response_format == "verbose_json" and abs(heard.seconds - 1.5) < 0.01
    assert heard.authorization == "Bearer sk-test"


async def test_a_pinned_language_is_sent_and_kept(server: FakeAudioServer) -> None:
    found = await _asr(server).transcribe(_clip(), language="fr")
    assert server.heard[0].language == "fr" and found.language == "fr"


async def test_a_server_that_answers_plain_json_gives_the_text(server: FakeAudioServer) -> None:
    server.plain_json = True
    found = await _asr(server).transcribe(_clip())
    assert found.text == "hello from the fake recognizer" and found.language is None


async def test_a_failure_that_may_pass_is_tried_again(server: FakeAudioServer) -> None:
    server.failures = [503, 429]
    found = await _asr(server).transcribe(_clip())
    assert found.text and len(server.heard) == 1


async def test_a_refusal_is_a_readable_error_and_not_retried(server: FakeAudioServer) -> None:
    server.failures = [401]
    with pytest.raises(EngineError, match="HTTP 401"):
        await _asr(server).transcribe(_clip())
    assert server.failures == [] and server.heard == []


async def test_an_unreachable_server_is_a_readable_error() -> None:
    asr = OpenAIAudioTranscriber(SpeechSettings(engine="openai", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(EngineError, match="did not answer"):
        await asr.transcribe(_clip())


def test_language_names_become_codes_and_unknown_ones_are_not_guessed() -> None:
    assert [language_code(v) for v in ("en", "English", "zh", "klingon", None)] == [
        "en", "en", "zh", None, None]


async def test_text_is_spoken_in_the_chosen_voice_and_read_back(server: FakeAudioServer) -> None:
    tts = _tts(server, model="kokoro", voice="openai:af_heart")
    clip = await tts.synthesize("four words are here", None, speed=1.25)
    (asked,) = server.spoken
    assert asked == {"model": "kokoro", "input": "four words are here", "voice": "af_heart",
                     "response_format": "wav", "speed": 1.25}  # fmt: skip
    assert clip.sample_rate == 24_000 and abs(clip.duration - 0.4) < 0.02
    assert float(np.abs(clip.samples).max()) > 0.2
    await tts.synthesize("again", "openai:nova")
    assert server.spoken[1]["voice"] == "nova"


async def test_voices_list_the_configured_one_first(server: FakeAudioServer) -> None:
    voices = await _tts(server, voice="openai:af_heart").voices()
    assert voices[0].id == "openai:af_heart" and "openai:alloy" in [v.id for v in voices]


async def test_a_speech_failure_is_a_readable_error(server: FakeAudioServer) -> None:
    server.failures = [400]
    with pytest.raises(EngineError, match="speech failed: HTTP 400"):
        await _tts(server).synthesize("hi", None)


def test_both_are_chosen_by_name() -> None:
    speech = SPEECH["openai"](SpeechSettings(engine="openai"))
    assert isinstance(speech, OpenAIAudioTranscriber)
    voice = VOICE["openai"](VoiceSettings(engine="openai"))
    assert isinstance(voice, VoiceRouter)
    assert isinstance(voice.members[0], OpenAIAudioSynthesizer)
