"""Language codes as engines and users write them, and matching them to what we can do."""

from __future__ import annotations

from collections.abc import Iterable

from bot.ports.engines import Voice


def primary_language(code: str | None) -> str:
    """`en-US`, `en_us`, `en` all become `en`."""
    return (code or "").replace("_", "-").split("-")[0].lower()


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
