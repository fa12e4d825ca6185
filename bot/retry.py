"""One retry policy for every HTTP client omnivox runs: a few quick tries inside one call.

A call that fails in passing (a dropped connection, a 5xx, a rate limit) is
tried again a few times, each wait about twice the last, shortened at random
so that many clients do not retry in step. When the failure says how long to
wait (an HTTP `Retry-After`, a `retry_after` field), that wait is used instead,
if it is sane. Longer outages are not for an in-call retry: the caller sees
the failure, and the outbox decides when to try again. Built on tenacity.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_SERVER_WAIT = 60.0  # seconds; a server asking for more gets our own backoff instead


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many times one call is tried, and how long to wait between tries."""

    attempts: int = 3  # in all, the first try included
    initial: float = 0.5  # seconds before the second try
    maximum: float = 4.0  # the longest wait between two tries
    jitter: float = 0.25  # each wait is shortened at random by up to this fraction
    max_server_wait: float = MAX_SERVER_WAIT

    def retrying(
        self, retry_if: Callable[[BaseException], bool], *, what: str = "call"
    ) -> AsyncRetrying:
        """Tries for `async for attempt in ...: with attempt: ...`; the last failure is raised."""
        return AsyncRetrying(
            retry=retry_if_exception(retry_if),
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=self.wait,
            before_sleep=partial(_log_retry, what),
            reraise=True,
        )

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        retry_if: Callable[[BaseException], bool],
        what: str = "call",
    ) -> T:
        """`await call()`, tried again while a failure passes `retry_if` and tries are left."""
        async for attempt in self.retrying(retry_if, what=what):
            with attempt:
                return await call()
        raise AssertionError("unreachable")  # pragma: no cover

    def wait(self, state: RetryCallState) -> float:
        """The wait the failure asked for when sane, otherwise the backoff for this try."""
        failure = state.outcome.exception() if state.outcome is not None else None
        asked = asked_wait(failure)
        if asked is not None and asked <= self.max_server_wait:
            return asked
        return self.backoff(state.attempt_number)

    def backoff(self, failed_attempt: int) -> float:
        """Seconds to wait after try number `failed_attempt` (from 1) failed."""
        delay = min(self.initial * 2.0 ** max(0, failed_attempt - 1), self.maximum)
        return delay * (1.0 - self.jitter * random.random())


def asked_wait(failure: BaseException | None) -> float | None:
    """The wait a failure carries in its `retry_after` (seconds or a timedelta), if any."""
    value = getattr(failure, "retry_after", None)
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def retry_after(headers: Mapping[str, str], limit: float = MAX_SERVER_WAIT) -> float | None:
    """Seconds an HTTP response asked us to wait (`retry-after-ms`, `Retry-After`), if sane."""
    seconds: float | None = None
    with contextlib.suppress(TypeError, ValueError):
        seconds = float(headers.get("retry-after-ms", "")) / 1000
    value = headers.get("retry-after")
    if seconds is None and value:
        try:
            seconds = float(value)
        except ValueError:
            with contextlib.suppress(TypeError, ValueError):
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    if seconds is None or not 0 < seconds <= limit:
        return None
    return seconds


def _log_retry(what: str, state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    log.info("%s: %s; try %d failed, again in %.2f s", what, failure, state.attempt_number, delay)
