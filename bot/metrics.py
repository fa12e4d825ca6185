"""Prometheus metrics: what an operator watches when omnivox runs as many processes.

Stage latencies and engine busy time are counted where the work happens (each process
its own); the backlog, the replies by state and the queue are read from the database at
scrape time, so any gateway or worker reports the same totals.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from bot.ports.queue import WorkQueue
from bot.ports.store import Store

CONTENT_TYPE = CONTENT_TYPE_LATEST

STAGE_SECONDS = Histogram(
    "omnivox_stage_seconds", "Time spent in one stage of answering a message", ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)  # fmt: skip
ENGINE_BUSY = Counter(
    "omnivox_engine_busy_seconds_total", "Seconds an engine spent working", ["engine"]
)
BACKLOG = Gauge("omnivox_inbox_unanswered", "Messages received and not answered yet")
OLDEST = Gauge(
    "omnivox_inbox_oldest_unanswered_seconds", "Age of the oldest unanswered message"
)
REPLIES = Gauge("omnivox_replies", "Stored replies by delivery state", ["state"])
QUEUE_WAITING = Gauge("omnivox_queue_waiting", "Jobs waiting for a worker")
QUEUE_RUNNING = Gauge("omnivox_queue_running", "Jobs being worked on")
QUEUE_LAG = Gauge("omnivox_queue_lag_seconds", "How long the oldest waiting job has waited")


@contextlib.contextmanager
def timed(stage: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        STAGE_SECONDS.labels(stage).observe(time.perf_counter() - began)


def engine_busy(engine: str, seconds: float) -> None:
    ENGINE_BUSY.labels(engine).inc(seconds)


async def render(store: Store, queue: WorkQueue | None) -> bytes:
    """The metrics page, with the database's figures read now."""
    count, oldest = await store.inbox.backlog()
    BACKLOG.set(count)
    OLDEST.set(oldest)
    for state, n in (await store.outbox.by_state()).items():
        REPLIES.labels(state).set(n)
    if queue is not None:
        depth = await queue.depth()
        QUEUE_WAITING.set(depth.waiting)
        QUEUE_RUNNING.set(depth.running)
        QUEUE_LAG.set(depth.oldest_wait)
    return generate_latest()
