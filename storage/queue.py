"""The job queue on PostgreSQL: procrastinate, with the inbox row and its job in one
transaction.

`PgJobs.defer` writes the job with procrastinate's own SQL function on the inbox's
connection, so the message and its job commit together (procrastinate's insert trigger
wakes the workers with NOTIFY). `PgQueue` is the workers' side: procrastinate's worker
runs the jobs (one at a time per chat lock, oldest first), its heartbeats mark the
living workers, and `recover_stalled` gives back the jobs of a worker that died.
Interrupts (`/stop`, a newer message) travel on a LISTEN/NOTIFY channel of our own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports.queue import InterruptHandler, JobHandler, QueueDepth

QUEUE = "omnivox"
TASK = "omnivox.answer"
INTERRUPTS = "omnivox_interrupt"
RELISTEN_PAUSE = 1.0
POLL_EVERY = 1.0  # seconds; NOTIFY wakes workers at once, this is the safety net

log = logging.getLogger(__name__)

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:p_queue AS varchar), CAST(:p_task AS varchar), 0, CAST(:p_lock AS text), "
    "NULL, CAST(:p_args AS jsonb), NULL)::procrastinate_job_to_defer_v1])"
)
_DEPTH = (
    "SELECT count(*) FILTER (WHERE status = 'todo') AS waiting, "
    "count(*) FILTER (WHERE status = 'doing') AS running, "
    "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'todo')), 0)"
    " AS oldest FROM ("
    "  SELECT j.status, (SELECT min(e.at) FROM procrastinate_events e"
    "                    WHERE e.job_id = j.id AND e.type = 'deferred') AS created_at"
    "  FROM procrastinate_jobs j WHERE j.queue_name = %(queue)s"
    "   AND j.status IN ('todo', 'doing')) AS open_jobs"
)


# The jobs of workers whose heartbeat stopped, given back in one statement: each row is
# locked as it is chosen and its state re-checked, so two workers recovering at once never
# both give back one job, nor one that a living worker has taken since.
_RECOVER = (
    "WITH stalled AS ("
    "  SELECT job.id FROM procrastinate_jobs job"
    "  LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id"
    "  WHERE job.queue_name = %(queue)s AND job.status = 'doing'"
    "    AND (job.worker_id IS NULL"
    "         OR worker.last_heartbeat < now() - make_interval(secs => %(seconds)s))"
    "  FOR UPDATE OF job SKIP LOCKED)"
    " SELECT id, procrastinate_retry_job_v2(id, now(), NULL, NULL, NULL) FROM stalled"
)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://…) as libpq takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


class PgJobs:
    """Defers a message's job inside the transaction that stores the message."""

    async def defer(self, conn: AsyncConnection, message_id: int, lock: str | None) -> None:
        await conn.execute(
            _DEFER,
            {"p_queue": QUEUE, "p_task": TASK, "p_lock": lock,
             "p_args": json.dumps({"message_id": message_id})},
        )  # fmt: skip


class PgQueue:
    """Implements `bot.ports.queue.WorkQueue` with procrastinate."""

    def __init__(self, database_url: str, *, heartbeat: float, stalled_after: float) -> None:
        import procrastinate

        self._conninfo = libpq_url(database_url)
        self.heartbeat = heartbeat
        self.stalled_after = stalled_after
        connector = procrastinate.PsycopgConnector(conninfo=self._conninfo, min_size=1,
                                                   max_size=4)  # fmt: skip
        self.app = procrastinate.App(connector=connector)
        self._handle: JobHandler | None = None
        # a job that raised (the database went away mid-answer) runs again, a few times
        retry = procrastinate.RetryStrategy(max_attempts=10, wait=2)
        self.app.task(name=TASK, queue=QUEUE, retry=retry)(self._answer)
        self._opened = False

    async def _answer(self, message_id: int) -> None:
        assert self._handle is not None
        await self._handle(message_id)

    async def open(self) -> None:
        if not self._opened:
            await self.app.open_async()
            self._opened = True

    async def close(self) -> None:
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def work(self, handle: JobHandler, *, concurrency: int) -> None:
        self._handle = handle
        await self.app.run_worker_async(
            queues=[QUEUE], concurrency=concurrency, name="omnivox-worker",
            install_signal_handlers=False, update_heartbeat_interval=self.heartbeat,
            stalled_worker_timeout=self.stalled_after, shutdown_graceful_timeout=5.0,
            fetch_job_polling_interval=POLL_EVERY,
            delete_jobs="successful",
        )  # fmt: skip

    async def recover_stalled(self) -> int:
        rows = await self.app.connector.execute_query_all_async(
            _RECOVER, queue=QUEUE, seconds=self.stalled_after
        )
        for row in rows:
            log.warning("job %s of a stalled worker is back in the queue", row["id"])
        return len(rows)

    async def interrupt(self, chat_key: str, reason: str, asked_by: int) -> None:
        payload = json.dumps({"chat": chat_key, "reason": reason, "by": asked_by})
        await self.app.connector.execute_query_async(
            "SELECT pg_notify(%(channel)s, %(payload)s)", channel=INTERRUPTS, payload=payload
        )

    async def interrupts(self, handle: InterruptHandler) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {INTERRUPTS}")
                    async for note in conn.notifies():
                        _deliver(note.payload, handle)
            except asyncio.CancelledError:
                raise
            except Exception as failure:
                log.warning("listening for interrupts failed (%s); again in a moment", failure)
                await asyncio.sleep(RELISTEN_PAUSE)

    async def ping(self) -> None:
        if not await self.app.check_connection_async():
            raise RuntimeError("the job queue has no tables: run `omnivox db upgrade`")

    async def depth(self) -> QueueDepth:
        row: dict[str, Any] = await self.app.connector.execute_query_one_async(
            _DEPTH, queue=QUEUE
        )
        return QueueDepth(
            waiting=int(row["waiting"]), running=int(row["running"]),
            oldest_wait=float(row["oldest"] or 0),
        )  # fmt: skip


def _deliver(payload: str, handle: InterruptHandler) -> None:
    try:
        note = json.loads(payload)
        handle(str(note["chat"]), str(note["reason"]), int(note["by"]))
    except (ValueError, KeyError, TypeError):
        log.warning("an interrupt that could not be read was ignored")
