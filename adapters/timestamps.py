"""Platform timestamps (Unix seconds) → aware UTC datetimes, one rule for every channel.

Telegram sends an integer, Meta the same number as a decimal string. A value that is
missing, garbled or out of range becomes the time it was read rather than failing the
delivery: a message with a wrong clock is still a message worth answering.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime


def epoch_to_utc(value: object) -> datetime:
    """Seconds since the epoch (int, float or integer string) as UTC; now when unusable."""
    seconds = _seconds(value)
    if seconds is not None:
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(seconds, UTC)
    return datetime.now(UTC)


def _seconds(value: object) -> int | float | None:
    if isinstance(value, bool):  # an int to Python, never a time to a platform
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None
