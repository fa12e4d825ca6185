"""A reply is claimed before it is sent: of many processes on one database, one sends it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.models import IncomingMessage, Reply
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


async def _reply(store: SqlStore, message: Make) -> int:
    accepted = await store.inbox.accept(message("question"), in_context=True)
    assert accepted.id is not None
    return await store.outbox.add_reply(accepted.id, Reply(text="answer"), in_context=True)


async def test_of_two_processes_racing_for_a_reply_one_wins(
    store: SqlStore, db_url: str, message: Make
) -> None:
    reply_id = await _reply(store, message)
    others = [SqlStore.from_url(db_url) for _ in range(4)]
    try:
        won = await asyncio.gather(
            *(other.outbox.claim(reply_id, f"worker-{n}", 60) for n, other in enumerate(others))
        )
    finally:
        for other in others:
            await other.close()
    assert sorted(won) == [False, False, False, True]


async def test_a_claim_holds_until_it_runs_out(store: SqlStore, message: Make) -> None:
    reply_id = await _reply(store, message)
    assert await store.outbox.claim(reply_id, "dead-worker", 0.2)
    assert not await store.outbox.claim(reply_id, "other", 60)
    assert await store.outbox.claim(reply_id, "dead-worker", 0.2)  # its holder renews it
    await asyncio.sleep(0.3)
    assert await store.outbox.claim(reply_id, "other", 60)  # the holder died: it ran out


async def test_a_delivered_reply_cannot_be_claimed_again(store: SqlStore, message: Make) -> None:
    reply_id = await _reply(store, message)
    assert await store.outbox.claim(reply_id, "a", 60)
    await store.outbox.mark_delivered(reply_id, ["p-1"])
    assert not await store.outbox.claim(reply_id, "a", 60)
    assert not await store.outbox.claim(reply_id, "b", 60)


async def test_a_failure_for_now_lets_the_claim_go(store: SqlStore, message: Make) -> None:
    reply_id = await _reply(store, message)
    assert await store.outbox.claim(reply_id, "a", 60)
    await store.outbox.mark_delivery_failed(reply_id, "busy", permanent=False, retry_at=None)
    assert await store.outbox.claim(reply_id, "b", 60)


async def test_working_tells_whether_an_older_message_is_being_answered(
    store: SqlStore, message: Make
) -> None:
    from bot.models import Platform
    from bot.ports.store import State

    first = await store.inbox.accept(message("one", message_id="1"), in_context=True)
    stop = await store.inbox.accept(message("/stop", message_id="2"), in_context=False)
    assert first.id is not None and stop.id is not None
    assert not await store.inbox.working(Platform.CLI, "chat-1", stop.id)
    await store.inbox.set_state(first.id, State.WORKING)
    assert await store.inbox.working(Platform.CLI, "chat-1", stop.id)
    assert not await store.inbox.working(Platform.CLI, "chat-1", first.id)


async def test_a_sole_process_starting_releases_the_claims_of_its_dead_run(
    store: SqlStore, message: Make
) -> None:
    reply_id = await _reply(store, message)
    assert await store.outbox.claim(reply_id, "killed-run", 120)
    assert await store.outbox.release_claims() == 1
    assert await store.outbox.claim(reply_id, "this-run", 120)
