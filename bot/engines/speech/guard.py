"""Decide whether a transcript is something the user really said.

Whisper writes words even when nobody speaks: on silence, noise, music or a
language it does not know it tends to produce "Thank you for watching!" or a
lone "you". Answering those would answer words nobody said, so the core asks
the user to repeat instead when `is_unintelligible` is true.
"""

from __future__ import annotations

import re

import numpy as np

from bot.ports.engines import AudioClip, Transcript

SILENCE_RMS = 0.003  # about -50 dBFS: room noise, not speech
# Whisper itself drops a segment at no_speech > 0.6 with logprob < -1; we are a little
# stricter. Measured with tiny.en: real English speech scores confidence 0.5-0.9, French
# it cannot understand 0.18 (no_speech 0.54, logprob -0.97).
NO_SPEECH_PROB = 0.5
LOW_LOGPROB = -0.8
VERY_LOW_LOGPROB = -1.2
MIN_CONFIDENCE = 0.2

# Phrases Whisper is known to hallucinate on non-speech (from its subtitle training data).
_HALLUCINATIONS = (
    "thank you for watching",
    "thanks for watching",
    "thank you so much for watching",
    "thank you very much for watching",
    "thank you for listening",
    "please subscribe",
    "like and subscribe",
    "subscribe to my channel",
    "see you in the next video",
    "you",
    "music",
    "applause",
    "silence",
    "laughter",
)
# Things people do say, but that Whisper also invents: suspicious only when the
# model's own signals are weak too.
_WEAK_PHRASES = ("thank you", "thank you very much", "thank you so much", "thanks", "okay",
                 "bye", "bye bye", "so", "the end", "i'm sorry")
WEAK_NO_SPEECH = 0.3
WEAK_LOGPROB = -0.7
_HALLUCINATION_PREFIXES = (
    "subtitles by",
    "subtitled by",
    "captions by",
    "transcription by",
    "translated by",
    "amara.org",
    "www.",
)
# Words that join stock phrases when Whisper strings several together ("Thank you very
# much for watching, and thank you for watching.").
_JOINERS = frozenset({"and", "so", "again", "everyone", "guys", "all", "very", "much"})
_BRACKETED = re.compile(r"^[\[\(\*♪].*[\]\)\*♪]$")
_NON_WORD = re.compile(r"[^\w\s']+")


def rms(clip: AudioClip) -> float:
    """Root mean square level of the clip (0 for an empty clip)."""
    if clip.samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(clip.samples, dtype=np.float64))))


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def is_hallucination(text: str) -> bool:
    """True for Whisper's stock non-speech phrases, alone or repeated."""
    stripped = text.strip()
    if not stripped or _BRACKETED.match(stripped):
        return True
    plain = normalise(stripped)
    if not plain:
        return True
    if plain.startswith(_HALLUCINATION_PREFIXES) or "amara org" in plain:
        return True
    return _matches(plain, _HALLUCINATIONS) or _only(plain, _HALLUCINATIONS)


def _only(plain: str, phrases: tuple[str, ...]) -> bool:
    """Nothing but these phrases, strung together with joining words."""
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    rest = re.sub(rf"(?<!\S)(?:{alternatives})(?!\S)", " ", plain)
    return not [word for word in rest.split() if word not in _JOINERS]


def _matches(plain: str, phrases: tuple[str, ...]) -> bool:
    return any(plain == p or _is_repetition(plain, p) for p in phrases)


def _is_repetition(plain: str, phrase: str) -> bool:
    words, unit = plain.split(), phrase.split()
    if len(words) <= len(unit) or len(words) % len(unit):
        return False
    return all(words[i : i + len(unit)] == unit for i in range(0, len(words), len(unit)))


def is_unintelligible(clip: AudioClip, transcript: Transcript) -> bool:
    """True when the audio is silent, the model is unsure, or it produced a stock phrase."""
    if clip.duration < 0.2 or rms(clip) < SILENCE_RMS:
        return True
    if not transcript.text.strip() or is_hallucination(transcript.text):
        return True
    weak = transcript.no_speech_prob > WEAK_NO_SPEECH or transcript.avg_logprob < WEAK_LOGPROB
    plain = normalise(transcript.text)
    if weak and (_matches(plain, _WEAK_PHRASES) or _only(plain, _WEAK_PHRASES + _HALLUCINATIONS)):
        return True
    if transcript.no_speech_prob > NO_SPEECH_PROB and transcript.avg_logprob < LOW_LOGPROB:
        return True
    if transcript.avg_logprob < VERY_LOW_LOGPROB:
        return True
    return transcript.confidence < MIN_CONFIDENCE
