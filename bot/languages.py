"""Language codes as engines and users write them, and matching them to what we can do."""

from __future__ import annotations

from collections.abc import Iterable

from bot.ports.engines import Voice

# espeak-ng (and some engines) name a few languages by other codes than Whisper does
_ALIASES = {"cmn": "zh", "yue": "zh", "nb": "no", "iw": "he", "jw": "jv"}


def primary_language(code: str | None) -> str:
    """`en-US`, `en_us`, `en` all become `en`; `cmn` (espeak-ng's Mandarin) becomes `zh`."""
    short = (code or "").replace("_", "-").split("-")[0].lower()
    return _ALIASES.get(short, short)


def understood(heard: frozenset[str] | None, lang: str | None) -> bool:
    """Whether a speech model hearing `heard` (None: every language) understands `lang`.

    An unknown language (None or empty) is assumed understood: nothing to refuse.
    """
    wanted = primary_language(lang)
    if not wanted or heard is None:
        return True
    return wanted in {primary_language(x) for x in heard}


def voice_for_language(voices: Iterable[Voice], lang: str | None) -> Voice | None:
    """The first voice that speaks `lang` (the configured engine's voices come first)."""
    wanted = primary_language(lang)
    return next((v for v in voices if primary_language(v.language) == wanted), None)


def voices_in(voices: Iterable[Voice], lang: str) -> list[Voice]:
    """Every voice for a language code the user typed (nothing for what is not a code)."""
    wanted = primary_language(lang)
    if not wanted.isalpha() or len(wanted) > 3:
        return []
    return [v for v in voices if primary_language(v.language) == wanted]


# English names of the languages people most often write or speak to an assistant in;
# others are named by their code.
NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "ms": "Malay", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sr": "Serbian",
    "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip
DETECTED = "auto:"  # a stored language that was detected, not chosen with /language


def language_name(code: str | None) -> str:
    short = primary_language(code)
    return NAMES.get(short, short or "an unknown language")


def is_language_code(text: str) -> bool:
    short = primary_language(text)
    return short.isalpha() and 2 <= len(short) <= 3


def stored_language(stored: str | None) -> tuple[str | None, bool]:
    """(language, chosen by the user) from what the users table holds."""
    if not stored:
        return None, False
    if stored.startswith(DETECTED):
        return stored.removeprefix(DETECTED) or None, False
    return stored, True


def detected(code: str) -> str:
    """How a detected language is stored (the user may still switch by speaking)."""
    return DETECTED + primary_language(code)
