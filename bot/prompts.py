"""What the language model is told: the system prompt, and what a reply's form adds to it."""

from __future__ import annotations

from bot.config import ConversationSettings
from bot.languages import language_name, primary_language

DEFAULT_SYSTEM_PROMPT = (
    "You are omnivox, a helpful assistant people talk to from their phone. "
    "Answer in plain, short sentences, usually one to three, as you would say them aloud: "
    "no markdown, no tables, no bullet lists, no code unless asked. "
    "Answer in the language the user writes in. "
    "If you do not know, say so briefly."
)

VOICE_ADDENDUM = (
    " This answer will be spoken aloud: plain sentences only, no lists, markdown, code or "
    "emoji, and at most about 40 words."
)

PHOTO_NOTE = (
    " When the user sends a photo you are told what could be found in it (text and likely "
    "objects); use that, and say honestly when it is not enough to answer."
)

SUMMARY_PROMPT = (
    "Summarise what the user's text says in at most {sentences} short plain sentences, "
    "written in {language}. No lists, no markdown; only the summary."
)


def base_prompt(settings: ConversationSettings) -> str:
    """The configured prompt, or ours: short, plain and easy to read aloud."""
    return settings.system_prompt.strip() or DEFAULT_SYSTEM_PROMPT


def language_line(language: str | None) -> str:
    """Small models drift into English unless told the language by name."""
    if not primary_language(language):
        return ""
    name = language_name(language)
    return f" The user speaks {name}: write your whole answer in {name}."


def system_prompt(
    settings: ConversationSettings, *, spoken: bool, language: str | None = None
) -> str:
    """The prompt for one answer: the base, how photos are described, the user's language,
    and for a voice reply, that it will be heard rather than read."""
    base = base_prompt(settings) + PHOTO_NOTE + language_line(language)
    return base + VOICE_ADDENDUM if spoken else base


def summary_prompt(language: str | None, *, sentences: int = 3) -> str:
    return SUMMARY_PROMPT.format(sentences=sentences, language=language_name(language or "en"))
