"""The guard that stops us answering words nobody said."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engines.speech.guard import is_hallucination, is_unintelligible, rms
from bot.ports.engines import AudioClip, Transcript

RATE = 16_000


def speechlike(seconds: float = 2.0) -> AudioClip:
    t = np.arange(int(seconds * RATE)) / RATE
    wave = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return AudioClip(samples=wave.astype(np.float32), sample_rate=RATE)


def transcript(text: str, *, no_speech: float = 0.05, logprob: float = -0.3) -> Transcript:
    confidence = float(np.exp(logprob)) * (1 - no_speech)
    return Transcript(text=text, language="en", duration=2.0, confidence=confidence,
                      no_speech_prob=no_speech, avg_logprob=logprob)


def test_silence_and_near_silence() -> None:
    silent = AudioClip(samples=np.zeros(RATE * 2, np.float32), sample_rate=RATE)
    hiss = AudioClip(
        samples=np.random.default_rng(1).normal(0, 0.001, RATE * 2).astype(np.float32),
        sample_rate=RATE,
    )
    assert rms(silent) == 0.0
    assert is_unintelligible(silent, transcript("What time is it?"))
    assert is_unintelligible(hiss, transcript("What time is it?"))


@pytest.mark.parametrize(
    "text",
    ["Thank you for watching!", "Thanks for watching!", " you", "You", "you you you",
     "Thank you very much for watching, and thank you for watching.",
     "Thanks for watching. Please subscribe!",
     "Thank you for watching, thanks for watching, thanks for watching, and you you you.",
     "Subtitles by the Amara.org community", "[Music]", "(applause)", "♪ ♪", "...", ""],
)
def test_stock_hallucinations(text: str) -> None:
    assert is_hallucination(text)
    assert is_unintelligible(speechlike(), transcript(text))


def test_real_requests_pass() -> None:
    for text in ["What time is it in Tokyo?", "Thank you for the recipe, it worked.",
                 "Tell me a joke about cats"]:
        assert not is_unintelligible(speechlike(), transcript(text)), text


def test_thanks_is_fine_when_the_model_is_sure_but_not_when_unsure() -> None:
    assert not is_unintelligible(speechlike(), transcript("Thank you."))
    assert is_unintelligible(speechlike(), transcript("Thank you.", no_speech=0.5))
    assert not is_unintelligible(speechlike(), transcript("Thank you, and bye!"))
    assert is_unintelligible(speechlike(), transcript("Thank you, and bye!", logprob=-0.99))


def test_low_confidence_signals() -> None:
    clip = speechlike()
    assert is_unintelligible(clip, transcript("Order a pizza", no_speech=0.8, logprob=-1.2))
    assert is_unintelligible(clip, transcript("Order a pizza", logprob=-1.6))
    assert not is_unintelligible(clip, transcript("Order a pizza", no_speech=0.7, logprob=-0.2))


def test_a_language_the_model_does_not_know() -> None:
    # What tiny.en made of French speech: English-looking words, weak signals.
    heard = transcript("Buh-joo, shaboo, lemme, lemme, tambi-poo, de pence en sis waa.",
                       no_speech=0.54, logprob=-0.965)
    assert is_unintelligible(speechlike(), heard)


def test_too_short_clip() -> None:
    short = AudioClip(samples=np.full(800, 0.3, np.float32), sample_rate=RATE)
    assert is_unintelligible(short, transcript("Yes"))
