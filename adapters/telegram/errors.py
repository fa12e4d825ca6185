"""Bot API failures → the core's DeliveryError, with what retrying can and cannot fix."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.errors import DeliveryError

_FORMAT_ERRORS = ("can't parse entities", "can't find end", "unsupported start tag", "entity")


def is_format_error(error: TelegramError) -> bool:
    """Telegram could not parse our markup; the same text sent plain will go through."""
    return isinstance(error, BadRequest) and any(p in error.message.lower() for p in _FORMAT_ERRORS)


def is_not_modified(error: TelegramError) -> bool:
    """An edit that changes nothing: harmless, the message already shows this text."""
    return isinstance(error, BadRequest) and "message is not modified" in error.message.lower()


def is_voice_forbidden(error: TelegramError) -> bool:
    return isinstance(error, BadRequest) and "voice_messages_forbidden" in error.message.lower()


def retry_after_seconds(error: RetryAfter) -> float:
    """Seconds to wait, from the public `retry_after`: an int, or a timedelta where PTB is
    told to return one (PTB_TIMEDELTA). Reading the int form warns of that future change;
    both forms are handled here, so the warning says nothing new and is silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def to_delivery_error(error: TelegramError) -> DeliveryError:
    """Blocked, kicked, bad chat or token: permanent. Flood control, network, 5xx: retry."""
    if isinstance(error, RetryAfter):
        return DeliveryError(error.message, retry_after=retry_after_seconds(error))
    if isinstance(error, ChatMigrated):
        return DeliveryError(f"chat moved to {error.new_chat_id}", permanent=True)
    if isinstance(error, Forbidden | InvalidToken | BadRequest):
        return DeliveryError(error.message, permanent=True)
    if isinstance(error, NetworkError):  # includes TimedOut and HTTP 5xx
        return DeliveryError(error.message)
    return DeliveryError(error.message)


@asynccontextmanager
async def delivering() -> AsyncIterator[None]:
    """Raise DeliveryError for any Bot API failure inside the block."""
    try:
        yield
    except TelegramError as error:
        raise to_delivery_error(error) from error
