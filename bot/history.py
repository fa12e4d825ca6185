"""The context window: the newest turns that fit the budget, oldest dropped first."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import ChatTurn
from bot.ports.store import Direction, StoredMessage

CHARS_PER_TOKEN = 3.5
TURN_OVERHEAD_TOKENS = 4


def estimate_tokens(text: str) -> int:
    """A cheap, model-independent estimate; good enough to stay inside a window."""
    return int(len(text) / CHARS_PER_TOKEN) + TURN_OVERHEAD_TOKENS


def build_window(
    system_prompt: str,
    messages: Sequence[StoredMessage],
    *,
    budget_tokens: int,
    current_images: tuple[bytes, ...] = (),
) -> list[ChatTurn]:
    """System prompt + as many of the latest turns as fit; the last turn always stays.

    A last turn that alone overflows the budget is cut to fit, so a long chat or a
    huge message never makes the model fail.
    """
    remaining = budget_tokens - estimate_tokens(system_prompt)
    turns: list[ChatTurn] = []
    for index, message in enumerate(reversed(messages)):
        text = message.turn_text.strip()
        if not text:
            continue
        role = "user" if message.direction is Direction.IN else "assistant"
        cost = estimate_tokens(text)
        if index == 0:
            if cost > remaining:
                text = text[: max(int((remaining - TURN_OVERHEAD_TOKENS) * CHARS_PER_TOKEN), 1)]
                cost = remaining
            turns.append(ChatTurn(role=role, text=text, images=current_images))
        elif cost > remaining:
            break
        else:
            turns.append(ChatTurn(role=role, text=text))
        remaining -= cost
    turns.reverse()
    _merge_same_role(turns)
    return [ChatTurn(role="system", text=system_prompt), *turns]


def _merge_same_role(turns: list[ChatTurn]) -> None:
    """Chat templates expect alternating roles; join consecutive turns of one speaker."""
    index = 1
    while index < len(turns):
        before, current = turns[index - 1], turns[index]
        if before.role == current.role:
            turns[index - 1] = ChatTurn(
                role=current.role,
                text=f"{before.text}\n{current.text}",
                images=before.images + current.images,
            )
            del turns[index]
        else:
            index += 1
    while turns and turns[0].role == "assistant":
        del turns[0]
