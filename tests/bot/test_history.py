"""The context window is cut by a budget, oldest first; a long chat never errors."""

from __future__ import annotations

from bot.history import build_window, estimate_tokens
from bot.ports.store import Direction
from tests.support.messages import stored


def test_oldest_turns_are_dropped_first() -> None:
    messages = [
        stored(n, f"turn {n} " + "x" * 100, Direction.IN if n % 2 else Direction.OUT)
        for n in range(1, 200)
    ]
    window = build_window("be brief", messages, budget_tokens=400)
    assert window[0].role == "system"
    assert window[-1].text.startswith("turn 199")
    assert sum(estimate_tokens(t.text) for t in window) <= 400
    assert all("turn 1 " not in t.text for t in window)


def test_a_huge_last_turn_is_cut_to_fit() -> None:
    window = build_window("sys", [stored(1, "y" * 100_000)], budget_tokens=500)
    assert 0 < len(window[-1].text) < 2000


def test_roles_alternate_and_start_with_the_user() -> None:
    messages = [stored(1, "answer", Direction.OUT), stored(2, "a"), stored(3, "b")]
    window = build_window("sys", messages, budget_tokens=1000)
    assert [t.role for t in window] == ["system", "user"]
    assert window[-1].text == "a\nb"

