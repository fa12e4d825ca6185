"""faster-whisper hears what Piper said, hears nothing in silence, and keeps long speech whole."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from bot.engines.speech.guard import is_unintelligible
from bot.media import decode_audio, encode_voice_note
from bot.ports.engines import AudioClip
from tests.support.corpus import corpus_path, corpus_transcripts

pytestmark = pytest.mark.slow

NUMBERS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
           "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten"}


def words(text: str) -> list[str]:
    """Lower case, no punctuation, digits spelled out ("1, 2, 3" == "one two three")."""
    tokens = re.sub(r"[^\w\s']", " ", text.lower()).split()
    return [NUMBERS.get(t, t) for t in tokens]


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def test_wer_normalises_numbers_and_punctuation() -> None:
    assert wer("one two three", "1, 2, 3.") == 0.0
    assert wer("ask not", "Ask not!") == 0.0
    assert wer("a b c d", "a x c") == 0.5


async def test_spoken_sentence_is_transcribed_back(piper: Any, transcriber: Any) -> None:
    sentence = "Please remind me to buy fresh bread and milk tomorrow morning."
    spoken = await piper.synthesize(sentence, None)
    # Through the real voice-note path: OGG/Opus out, decoded back to 16 kHz.
    clip = decode_audio(encode_voice_note(spoken).data)
    transcript = await transcriber.transcribe(clip)
    heard = set(words(transcript.text))
    assert {"remind", "bread", "milk", "tomorrow", "morning"} <= heard, transcript.text
    assert transcript.language == "en"
    assert transcript.confidence > 0.4
    assert not is_unintelligible(clip, transcript)
    assert transcriber.languages == frozenset({"en"})


async def test_silence_is_unintelligible(transcriber: Any) -> None:
    silence = AudioClip(samples=np.zeros(16_000 * 2, np.float32), sample_rate=16_000)
    transcript = await transcriber.transcribe(silence)
    assert is_unintelligible(silence, transcript)


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["whisper_jfk.flac", "speechrecognition_english.wav"])
async def test_corpus_speech_word_error_rate(transcriber: Any, name: str) -> None:
    reference = corpus_transcripts()[name]["text"]
    clip = decode_audio(corpus_path("audio", name).read_bytes())
    transcript = await transcriber.transcribe(clip)
    assert wer(reference, transcript.text) <= 0.1, transcript.text
    assert not is_unintelligible(clip, transcript)


@pytest.mark.corpus
async def test_long_recording_is_not_repeated(transcriber: Any) -> None:
    """Past one 30 s window, each part of the speech is transcribed once."""
    speech = decode_audio(corpus_path("audio", "whisper_jfk.flac").read_bytes()).samples
    pause = np.zeros(16_000 * 5, np.float32)
    clip = AudioClip(samples=np.concatenate([speech, pause] * 3), sample_rate=16_000)
    transcript = await transcriber.transcribe(clip)
    assert words(transcript.text).count("fellow") == 3, transcript.text
