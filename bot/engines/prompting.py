"""The default system prompt and the turn-to-message mapping every chat engine shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config import Settings
from bot.models import ChatTurn

DEFAULT_SYSTEM_PROMPT = (
    "You are omnivox, a helpful assistant people talk to from their phone. "
    "Answer in plain, short sentences, usually one to three, as you would say them aloud: "
    "no markdown, no tables, no bullet lists, no code unless asked. "
    "Answer in the language the user writes in. "
    "If you do not know, say so briefly."
)


def system_prompt(settings: Settings) -> str:
    """The configured prompt, or ours: short, plain and easy to read aloud."""
    return settings.system_prompt.strip() or DEFAULT_SYSTEM_PROMPT


def with_system(turns: Sequence[ChatTurn], system: str) -> list[ChatTurn]:
    """Prepend the system prompt unless the caller already put one first."""
    if turns and turns[0].role == "system":
        return list(turns)
    return [ChatTurn(role="system", text=system), *turns]


def text_messages(turns: Sequence[ChatTurn], system: str) -> list[dict[str, Any]]:
    """Plain role/content messages for text-only models (images are left out)."""
    return [{"role": t.role, "content": t.text} for t in with_system(turns, system)]
