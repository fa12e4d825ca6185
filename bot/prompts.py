"""What the language model is told for one answer: the base prompt plus the reply's needs."""

from __future__ import annotations

from bot.config import Settings
from bot.engines.prompting import system_prompt as base_prompt

VOICE_ADDENDUM = (
    " This answer will be spoken aloud: plain sentences only, no lists, markdown, code or "
    "emoji, and at most about 40 words."
)

PHOTO_NOTE = (
    " When the user sends a photo you are told what could be found in it (text and likely "
    "objects); use that, and say honestly when it is not enough to answer."
)


def system_prompt(settings: Settings, *, spoken: bool) -> str:
    base = base_prompt(settings) + PHOTO_NOTE
    return base + VOICE_ADDENDUM if spoken else base
