"""One epoch rule for every channel: what each platform sends, and what it must survive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.timestamps import epoch_to_utc

NOON = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

# value → the instant it names; None: unusable, so the time it was read
CASES: dict[str, tuple[object, datetime | None]] = {
    "int (Telegram)": (1735732800, NOON),
    "float keeps its fraction": (1735732800.25, NOON + timedelta(milliseconds=250)),
    "integer string (Meta)": ("1735732800", NOON),
    "integer string with spaces": (" 1735732800 ", NOON),
    "epoch zero": (0, datetime(1970, 1, 1, tzinfo=UTC)),
    "decimal string": ("1735732800.5", None),
    "words": ("yesterday", None),
    "empty string": ("", None),
    "missing": (None, None),
    "bool": (True, None),
    "list": ([1735732800], None),
    "too far ahead": (10**20, None),
    "past year 9999": (253402300800, None),
    "too far back": (-(10**20), None),
    "not a number": (float("nan"), None),
    "infinity": (float("inf"), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_epoch_to_utc(case: str) -> None:
    value, expected = CASES[case]
    before = datetime.now(UTC)
    parsed = epoch_to_utc(value)
    assert parsed.tzinfo is UTC
    if expected is None:
        assert before <= parsed <= datetime.now(UTC)
    else:
        assert parsed == expected
