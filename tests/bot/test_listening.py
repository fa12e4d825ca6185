"""Cutting long audio at pauses, and naming lengths."""

from __future__ import annotations

from bot.listening import MAX_PIECE_S, _pause, minutes

SECOND = 16_000


def test_the_cut_falls_in_the_longest_pause_after_the_minimum() -> None:
    limit = int(MAX_PIECE_S * SECOND)
    spans = [(0, 5 * SECOND), (6 * SECOND, 14 * SECOND), (17 * SECOND, 20 * SECOND),
             (20 * SECOND + 8000, 27 * SECOND)]  # fmt: skip
    assert _pause(spans, limit) == (14 * SECOND + 17 * SECOND) // 2  # the 3 s pause at 14-17 s
    assert _pause([(0, limit)], limit) == limit  # no pause: cut at the limit
    assert _pause([], limit) == limit  # silence


def test_minutes() -> None:
    assert minutes(45.2) == "0:45" and minutes(600) == "10:00" and minutes(3 * 3600) == "3:00:00"
