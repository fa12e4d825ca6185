"""The language a text message is written in, with lingua (a well-kept, offline detector).

Lingua's high-accuracy models for every language it knows take ~1.3 GB and 10 s to load
here; restricted to the languages below (those people most often write to an assistant
in, and that Whisper hears well) they take ~250 MB, load lazily in a worker thread, and
answer in about a millisecond. Short or ambiguous text ("ok", "hola") gives None: the
caller then keeps the language it already knows for the user.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "ru", "uk", "pl", "tr", "ar",
             "zh", "ja", "ko")  # fmt: skip
MIN_CONFIDENCE = 0.3
MIN_MARGIN = 0.12
MIN_LETTERS = 8


class TextLanguages:
    """Detects a text's language; None when lingua is absent or the text is ambiguous."""

    def __init__(self) -> None:
        self._detector: Any = None
        self._lock = threading.Lock()
        self.available = importlib.util.find_spec("lingua") is not None

    def _get(self) -> Any:
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                wanted = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                          for c in LANGUAGES]  # fmt: skip
                self._detector = LanguageDetectorBuilder.from_languages(*wanted).build()
            return self._detector

    def detect_sync(self, text: str) -> str | None:
        if not self.available or sum(ch.isalpha() for ch in text) < _min_letters(text):
            return None
        try:
            values = self._get().compute_language_confidence_values(text)[:2]
        except Exception as failure:  # a detector problem must never stop an answer
            log.warning("text language detection failed: %s", failure)
            return None
        if not values:
            return None
        best = values[0].value
        runner_up = values[1].value if len(values) > 1 else 0.0
        if best < MIN_CONFIDENCE or best - runner_up < MIN_MARGIN:
            return None
        return str(values[0].language.iso_code_639_1.name).lower()

    async def detect(self, text: str) -> str | None:
        return await asyncio.to_thread(self.detect_sync, text)

    async def warm_up(self) -> None:
        if self.available:
            await asyncio.to_thread(self._get)
            await self.detect("Hello, how are you today?")


def _min_letters(text: str) -> int:
    """Ideographs carry a word each: two are enough; alphabets need a few words."""
    return 2 if any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text) \
        else MIN_LETTERS
