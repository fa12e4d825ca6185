"""One leader at a time by an advisory lock; the next takes over when it lets go or dies."""

from __future__ import annotations

import asyncio

import pytest

from storage.leader import PgLeader


async def test_one_leads_and_the_next_takes_over(pg_url: str) -> None:
    first = PgLeader(pg_url, "test-job", retry=0.05)
    second = PgLeader(pg_url, "test-job", retry=0.05)
    await asyncio.wait_for(first.acquire(), 5)
    waiting = asyncio.create_task(second.acquire())
    await asyncio.sleep(0.3)
    assert not waiting.done()  # the first leads
    await first.release()
    await asyncio.wait_for(waiting, 5)
    await second.release()


async def test_a_leader_whose_connection_dies_has_lost(pg_url: str) -> None:
    leader = PgLeader(pg_url, "test-dies", retry=0.05)
    other = PgLeader(pg_url, "test-dies", retry=0.05)
    await leader.acquire()
    leader._conn.terminate()  # as when the process is killed: the lock goes with it
    await asyncio.wait_for(leader.lost(), 5)
    await asyncio.wait_for(other.acquire(), 5)
    await other.release()


@pytest.mark.parametrize("name", ["telegram-polling"])
async def test_other_jobs_do_not_share_the_lock(pg_url: str, name: str) -> None:
    one, another = PgLeader(pg_url, name, retry=0.05), PgLeader(pg_url, "other", retry=0.05)
    await asyncio.wait_for(one.acquire(), 5)
    await asyncio.wait_for(another.acquire(), 5)
    await one.release()
    await another.release()
