"""How long Telegram asks us to wait, read through PTB's public `retry_after` only."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from adapters.telegram.errors import retry_after_seconds, to_delivery_error


@pytest.mark.parametrize(
    ("given", "seconds"), [(7, 7.0), (timedelta(seconds=2.5), 2.5), (timedelta(minutes=1), 60.0)]
)
@pytest.mark.parametrize("as_timedelta", [False, True], ids=["int attribute", "PTB_TIMEDELTA"])
def test_retry_after_in_seconds_without_warnings(
    given: int | timedelta, seconds: float, as_timedelta: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PTB 22 returns an int with a deprecation warning, or a timedelta when told to."""
    if as_timedelta:
        monkeypatch.setenv("PTB_TIMEDELTA", "true")
    else:
        monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    error = RetryAfter(given)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert retry_after_seconds(error) == seconds
        assert to_delivery_error(error).retry_after == seconds
