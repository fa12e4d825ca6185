"""bot.invocation: how `/name args` is read, and which bot it is addressed to."""

from __future__ import annotations

from bot.invocation import parse_command


def test_parse_command() -> None:
    assert parse_command("/mode voice").name == "mode"  # type: ignore[union-attr]
    assert parse_command("/mode voice").args == "voice"  # type: ignore[union-attr]
    assert parse_command("/help@omnivox_bot", "omnivox_bot").name == "help"  # type: ignore[union-attr]
    assert parse_command("/help@other_bot", "omnivox_bot") is None
    assert parse_command("hello /help") is None
    assert parse_command("/") is None
    assert parse_command("/../etc") is None
