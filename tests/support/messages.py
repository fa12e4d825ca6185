"""IncomingMessages for core and storage tests, each with a fresh platform id."""

from __future__ import annotations

import itertools
from typing import Any

from bot.models import ContentKind, IncomingMessage, MediaRef, Platform

_ids = itertools.count(1)


def make_message(
    text: str | None = "hello",
    *,
    kind: ContentKind = ContentKind.TEXT,
    chat_id: str = "chat-1",
    user_id: str | None = None,
    message_id: str | None = None,
    media: MediaRef | None = None,
    platform: Platform = Platform.CLI,
    **extra: Any,
) -> IncomingMessage:
    return IncomingMessage(
        platform=platform,
        message_id=message_id or f"m{next(_ids)}",
        chat_id=chat_id,
        user_id=user_id or chat_id,
        kind=kind,
        text=text,
        media=media,
        **extra,
    )
