"""What the language model is told: the system prompt, and what a reply's form adds to it."""

from __future__ import annotations

from bot.config import ConversationSettings

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


def base_prompt(settings: ConversationSettings) -> str:
    """The configured prompt, or ours: short, plain and easy to read aloud."""
    return settings.system_prompt.strip() or DEFAULT_SYSTEM_PROMPT


def system_prompt(settings: ConversationSettings, *, spoken: bool) -> str:
    """The prompt for one answer: the base, how photos are described, and for a voice
    reply, that it will be heard rather than read."""
    base = base_prompt(settings) + PHOTO_NOTE
    return base + VOICE_ADDENDUM if spoken else base
