"""Short summaries from the chat model: of a long recording, and of an answer too long to say.

A transcript longer than the model's window is summarised part by part, then the parts'
summaries together (map, then reduce), so an hour's recording fits a 4k-token model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.history import CHARS_PER_TOKEN
from bot.models import ChatTurn
from bot.ports.engines import ChatModel
from bot.prompts import summary_prompt

SUMMARY_TOKENS = 120
Progress = Callable[[str], Awaitable[None]]


async def _ask(chat: ChatModel, system: str, text: str, max_tokens: int) -> str:
    turns = [ChatTurn(role="system", text=system), ChatTurn(role="user", text=text)]
    return "".join([p async for p in chat.stream(turns, max_tokens=max_tokens)]).strip()


def _parts(text: str, size: int) -> list[str]:
    """Pieces of about `size` characters, cut between words."""
    parts: list[str] = []
    current: list[str] = []
    length = 0
    words = text.split()
    for word in words:
        if current and length + len(word) + 1 > size:
            parts.append(" ".join(current))
            current, length = [], 0
        current.append(word)
        length += len(word) + 1
    if current:
        parts.append(" ".join(current))
    return parts


async def summarise(
    chat: ChatModel, text: str, language: str | None, *, window_tokens: int,
    sentences: int = 3, max_tokens: int = SUMMARY_TOKENS,
) -> str:  # fmt: skip
    """A few sentences saying what `text` says, in `language`."""
    size = max(600, int((window_tokens - SUMMARY_TOKENS - 120) * CHARS_PER_TOKEN))
    tokens = min(SUMMARY_TOKENS, max_tokens)
    while len(text) > size:
        parts = _parts(text, size)
        notes = [await _ask(chat, summary_prompt(language, sentences=2), part, tokens)
                 for part in parts]  # fmt: skip
        joined = " ".join(n for n in notes if n)
        if len(joined) >= len(text):  # the model is not shortening: stop here
            text = joined[:size]
            break
        text = joined
    return await _ask(chat, summary_prompt(language, sentences=sentences), text, tokens)
