"""The job queue on PostgreSQL: a message and its job commit together; a dead worker's job
is given back once, however many workers recover at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text

from bot.models import IncomingMessage
from storage.queue import PgQueue
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


@pytest.fixture
async def queued(pg_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore.from_url(pg_url, queued=True)
    yield store
    await store.close()


async def _jobs(store: SqlStore) -> list[tuple[str, str | None, str]]:
    async with store.db.read() as conn:
        rows = await conn.execute(text(
            "SELECT status::text, lock, args->>'message_id' FROM procrastinate_jobs ORDER BY id"))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_each_accepted_message_is_one_job_locked_by_its_chat(
    queued: SqlStore, message: Make
) -> None:
    first = await queued.inbox.accept(message("one", message_id="1"), in_context=True)
    again = await queued.inbox.accept(message("one", message_id="1"), in_context=True)
    stop = await queued.inbox.accept(message("/stop", message_id="2"), in_context=False,
                                     ordered=False)  # fmt: skip
    assert again.duplicate
    assert await _jobs(queued) == [("todo", "cli:chat-1", str(first.id)),
                                   ("todo", None, str(stop.id))]  # fmt: skip


async def test_a_live_turn_is_stored_without_a_job(queued: SqlStore, message: Make) -> None:
    """A call's turn is answered by the call on the gateway; a worker must not get it."""
    await queued.inbox.accept(message("said in a call"), in_context=True, live=True)
    assert await _jobs(queued) == []


async def test_a_failed_accept_leaves_no_job(queued: SqlStore, message: Make) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the driver refuses the text
        await queued.inbox.accept(message("\ud800"), in_context=True)
    assert await _jobs(queued) == []


async def test_a_dead_workers_job_is_given_back_once(
    queued: SqlStore, pg_url: str, message: Make
) -> None:
    await queued.inbox.accept(message("one"), in_context=True)
    async with queued.db.write() as conn:
        dead = await conn.scalar(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                      "VALUES (now() - interval '1 hour') RETURNING id"))
        await conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', "
                                "worker_id = :w"), {"w": dead})  # fmt: skip
    queues = [PgQueue(pg_url, heartbeat=1, stalled_after=30) for _ in range(4)]
    for queue in queues:
        await queue.open()
    try:
        given_back = await asyncio.gather(*(q.recover_stalled() for q in queues))
        assert sum(given_back) == 1
        assert [status for status, _, _ in await _jobs(queued)] == ["todo"]
        assert sum(await asyncio.gather(*(q.recover_stalled() for q in queues))) == 0
        async with queued.db.write() as conn:  # taken by a living worker: it stays its own
            alive = await conn.scalar(text("INSERT INTO procrastinate_workers DEFAULT VALUES "
                                           "RETURNING id"))
            await conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', "
                                    "worker_id = :w"), {"w": alive})  # fmt: skip
        assert await queues[0].recover_stalled() == 0
    finally:
        for queue in queues:
            await queue.close()
