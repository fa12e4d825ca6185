"""One text limit for every channel: what is stored of an over-long message, and what it is told.

The web API refuses an over-long text outright (400). Telegram and WhatsApp cannot be
refused (the platform would deliver it again and again), so the inbox stores only the
first `max_text_chars` characters, marks the message, and the answer says why it was
not answered. Nothing longer than the limit is ever stored.
"""

from __future__ import annotations

import dataclasses

from bot.models import IncomingMessage

TOO_LONG = "too long: "  # how a message cut at accept is marked (its `error`)


def too_long_text(limit: int, length: int) -> str:
    return f"That message is too long: the limit is {limit:,} characters (it has {length:,})."


def bounded(message: IncomingMessage, limit: int) -> IncomingMessage:
    """The message as it may be stored: its text cut at `limit`, marked when cut."""
    text = message.text
    if text is None or len(text) <= limit:
        return message
    return dataclasses.replace(
        message, text=text[:limit], unsupported_type=f"{TOO_LONG}{len(text)} characters"
    )


def cut_length(error: str | None) -> int | None:
    """How long a message cut at accept was, from its mark; None when it was not cut."""
    if not error or not error.startswith(TOO_LONG):
        return None
    count = error.removeprefix(TOO_LONG).split(" ", 1)[0]
    return int(count) if count.isdigit() else None
