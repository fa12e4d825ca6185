"""The turn-to-message mapping every chat engine shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.models import ChatTurn
from bot.prompts import DEFAULT_SYSTEM_PROMPT


def with_system(turns: Sequence[ChatTurn], system: str = DEFAULT_SYSTEM_PROMPT) -> list[ChatTurn]:
    """Prepend the system prompt unless the caller already put one first."""
    if turns and turns[0].role == "system":
        return list(turns)
    return [ChatTurn(role="system", text=system), *turns]


def text_messages(turns: Sequence[ChatTurn]) -> list[dict[str, Any]]:
    """Plain role/content messages for text-only models (images are left out)."""
    return [{"role": t.role, "content": t.text} for t in with_system(turns)]
