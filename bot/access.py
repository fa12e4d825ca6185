"""Who may talk to omnivox, and how often."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

from bot.config import AccessSettings, user_key
from bot.models import IncomingMessage

REFUSAL = "Sorry, this assistant is private and you are not on its list of users."


def rate_limited_text(limit: int) -> str:
    return (
        f"You are sending messages faster than I can take them (the limit is {limit} a "
        "minute): I skipped your last message and will skip any more this minute. "
        "Please send them again in a minute."
    )


class AccessPolicy:
    """`OMNIVOX_ALLOWED_USERS` and the per-user rate limit, shared by every channel."""

    def __init__(self, settings: AccessSettings, clock: Callable[[], float] | None = None) -> None:
        self._allowed = settings.allowed_user_keys
        self.limit = settings.rate_limit_per_minute
        self._refused: set[str] = set()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._warned: dict[str, float] = {}
        self._clock = clock or time.monotonic

    def is_allowed(self, message: IncomingMessage) -> bool:
        if not self._allowed:
            return True
        return user_key(message.user_key) in self._allowed

    def should_send_refusal(self, message: IncomingMessage) -> bool:
        """One polite refusal per user, not one per message."""
        if message.user_key in self._refused:
            return False
        self._refused.add(message.user_key)
        return True

    def take(self, message: IncomingMessage) -> bool:
        """Count this message; False when the user is over the limit."""
        now = self._clock()
        window = self._recent[message.user_key]
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        return True

    def should_warn(self, message: IncomingMessage) -> bool:
        """Say "slow down" once per minute, not on every extra message."""
        now = self._clock()
        last = self._warned.get(message.user_key)
        if last is not None and now - last < 60.0:
            return False
        self._warned[message.user_key] = now
        return True
