"""Inline keyboards: choices whose callback data is a command, and 👍/👎 feedback."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from adapters.telegram.parse import feedback_data
from bot.models import Choice

log = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data
PER_ROW = 2


def keyboard(
    choices: Sequence[Choice] = (),
    feedback_for: int | None = None,
    *,
    feedback: bool | None = None,
) -> InlineKeyboardMarkup | None:
    """Choice buttons two to a row, then 👍/👎 when `feedback` (default: a stored id is given)."""
    buttons = [InlineKeyboardButton(c.label, callback_data=c.command) for c in choices if _fits(c)]
    rows = [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]
    if feedback if feedback is not None else feedback_for is not None:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=feedback_data(1, feedback_for)),
                InlineKeyboardButton("👎", callback_data=feedback_data(-1, feedback_for)),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def _fits(choice: Choice) -> bool:
    if len(choice.command.encode()) <= CALLBACK_DATA_LIMIT:
        return True
    log.warning(
        "choice %r dropped: its command exceeds Telegram's 64-byte callback data", choice.label
    )
    return False
