"""Inline keyboards: choice buttons whose data is the command, then the 👍/👎 row."""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardMarkup

from adapters.telegram.markup import keyboard
from bot.models import Choice

ALTO = Choice(label="Alto", command="/voice fake:alto")
BASS = Choice(label="Bass", command="/voice fake:bass")
JOE = Choice(label="Joe", command="/voice piper:joe")


def _rows(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, object]]]:
    assert markup is not None
    return [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]


def test_nothing_to_show_is_no_keyboard() -> None:
    assert keyboard() is None
    assert keyboard(feedback_for=9, feedback=False) is None


def test_choices_two_to_a_row() -> None:
    assert _rows(keyboard([ALTO, BASS, JOE])) == [
        [("Alto", "/voice fake:alto"), ("Bass", "/voice fake:bass")],
        [("Joe", "/voice piper:joe")],
    ]


@pytest.mark.parametrize(
    ("feedback_for", "feedback", "data"),
    [(9, None, ["fb:+1:9", "fb:-1:9"]), (None, True, ["fb:+1", "fb:-1"])],
    ids=["for a stored reply", "asked for without an id"],
)
def test_feedback_row_comes_last(feedback_for: int | None, feedback: bool | None,
                                 data: list[str]) -> None:  # fmt: skip
    rows = _rows(keyboard([ALTO], feedback_for, feedback=feedback))
    assert rows[0] == [("Alto", "/voice fake:alto")]
    assert rows[-1] == [("👍", data[0]), ("👎", data[1])]


def test_a_command_over_64_bytes_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    long = Choice(label="Ünïcode", command="/voice " + "é" * 29)  # 65 bytes, 36 characters
    with caplog.at_level(logging.WARNING):
        assert _rows(keyboard([long, ALTO])) == [[("Alto", "/voice fake:alto")]]
    assert "Ünïcode" in caplog.text
