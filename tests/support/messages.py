"""Messages for core and storage tests: incoming ones with fresh platform ids, stored ones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from bot.models import ContentKind, IncomingMessage, MediaRef, Platform
from bot.ports.store import Direction, State, StoredMessage

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


def stored(
    n: int, text: str, direction: Direction = Direction.IN, **fields: Any
) -> StoredMessage:
    """A stored text message with id `n`; `fields` override any attribute."""
    values: dict[str, Any] = dict(
        id=n, conversation_id=1, platform=Platform.CLI, chat_id="c", user_id="u",
        direction=direction, kind=ContentKind.TEXT, text=text, transcript=None, caption=None,
        language=None, state=State.DELIVERED, error=None, platform_message_id=str(n),
        reply_to_platform_id=None, reply_to_text=None, answer_to=None, media=None,
        has_voice=False, voice_duration=None, has_attachment=False, choices=(), in_context=True,
        feedback=None, created_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )  # fmt: skip
    return StoredMessage(**(values | fields))
