"""The shared retry policy: tries again, gives up, waits as asked, leaves permanent failures."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.retry import RetryPolicy, asked_wait, retry_after

FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.02)


class Passing(Exception):
    """A failure worth another try, optionally saying how long to wait."""

    def __init__(self, retry_after: float | timedelta | None = None) -> None:
        super().__init__("passing")
        self.retry_after = retry_after


class Permanent(Exception):
    pass


def passing(exc: BaseException) -> bool:
    return isinstance(exc, Passing)


class Flaky:
    """Fails with the given exceptions in turn, then answers "ok"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0
        self.times: list[float] = []

    async def __call__(self) -> str:
        self.calls += 1
        self.times.append(time.monotonic())
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


async def test_retries_then_succeeds() -> None:
    call = Flaky(Passing(), Passing())
    assert await FAST.run(call, retry_if=passing) == "ok"
    assert call.calls == 3


async def test_gives_up_with_the_last_failure() -> None:
    call = Flaky(Passing(), Passing(), Passing(), Passing())
    with pytest.raises(Passing):
        await FAST.run(call, retry_if=passing)
    assert call.calls == 3


async def test_a_permanent_failure_is_not_retried() -> None:
    call = Flaky(Permanent("no"))
    with pytest.raises(Permanent):
        await FAST.run(call, retry_if=passing)
    assert call.calls == 1


async def test_one_attempt_means_no_retry() -> None:
    call = Flaky(Passing())
    with pytest.raises(Passing):
        await RetryPolicy(attempts=1).run(call, retry_if=passing)
    assert call.calls == 1


async def test_the_wait_a_failure_asks_for_is_honoured() -> None:
    call = Flaky(Passing(retry_after=0.3))
    assert await FAST.run(call, retry_if=passing) == "ok"
    assert call.times[1] - call.times[0] >= 0.29


async def test_a_wait_past_the_limit_falls_back_to_the_backoff() -> None:
    policy = RetryPolicy(attempts=2, initial=0.01, maximum=0.01, max_server_wait=0.1)
    call = Flaky(Passing(retry_after=30.0))
    started = time.monotonic()
    assert await policy.run(call, retry_if=passing) == "ok"
    assert time.monotonic() - started < 1.0


def test_backoff_doubles_up_to_the_maximum_with_jitter() -> None:
    policy = RetryPolicy(initial=0.5, maximum=4.0, jitter=0.25)
    for attempt, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = [policy.backoff(attempt) for _ in range(50)]
        assert all(full * 0.75 <= w <= full for w in waits)
        assert len(set(waits)) > 1  # jittered
    exact = RetryPolicy(initial=0.5, maximum=4.0, jitter=0.0)
    assert [exact.backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


def test_asked_wait_reads_seconds_or_a_timedelta() -> None:
    assert asked_wait(Passing(retry_after=2)) == 2.0
    assert asked_wait(Passing(retry_after=timedelta(seconds=3))) == 3.0
    assert asked_wait(Passing(retry_after=0)) is None
    assert asked_wait(Passing()) is None
    assert asked_wait(Permanent()) is None
    assert asked_wait(None) is None


def test_retry_after_headers() -> None:
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after": "120"}) is None
    assert retry_after({"retry-after": "120"}, limit=300) == 120.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({"retry-after": "-1"}) is None


def test_retry_after_as_an_http_date() -> None:
    from email.utils import formatdate

    seconds = retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert seconds is not None and 25 < seconds <= 30
    assert retry_after({"retry-after": formatdate(time.time() - 30, usegmt=True)}) is None
