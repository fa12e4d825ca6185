"""What the language model is told about itself and how to answer."""

from __future__ import annotations

DEFAULT_SYSTEM_PROMPT = (
    "You are omnivox, a friendly, helpful assistant people reach from their messaging apps. "
    "Answer in the language of the user's last message. Keep answers short and clear: "
    "usually one to three sentences, unless the user asks for more."
)

VOICE_ADDENDUM = (
    " This answer will be spoken aloud: use plain sentences, no lists, tables, markdown, "
    "code or emoji, and at most about 40 words."
)

PHOTO_NOTE = (
    " When the user sends a photo you are given what could be found in it (text and likely "
    "objects). Use that, and say so honestly when it is not enough to answer."
)


def system_prompt(custom: str, *, spoken: bool) -> str:
    base = (custom.strip() or DEFAULT_SYSTEM_PROMPT) + PHOTO_NOTE
    return base + VOICE_ADDENDUM if spoken else base
