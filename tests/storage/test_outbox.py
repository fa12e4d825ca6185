"""The outbox: replies stored with what they carry, delivered once, failures recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Attachment, Choice, IncomingMessage, Platform, Reply, ReplyEvent, VoiceAudio
from bot.ports.store import Direction, State
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


async def asked(store: SqlStore, message: Make) -> int:
    accepted = await store.inbox.accept(message("question", message_id="q-1"), in_context=True)
    assert accepted.id is not None
    return accepted.id


async def test_a_reply_round_trips_with_everything_it_carries(
    store: SqlStore, message: Make
) -> None:
    question = await asked(store, message)
    reply = Reply(
        text="answer", voice=VoiceAudio(data=b"OggS...", duration=2.5),
        attachment=Attachment(file_name="h.md", data=b"# h", mime_type="text/markdown"),
        choices=(Choice(label="Yes", command="/yes"),), feedback=True,
        event=ReplyEvent.HISTORY_DELETED,
    )  # fmt: skip
    reply_id = await store.outbox.add_reply(question, reply, in_context=True)
    loaded = await store.outbox.load_reply(reply_id)
    assert loaded is not None
    row, again = loaded
    assert again == reply
    assert (row.direction, row.state, row.answer_to) == (Direction.OUT, State.ANSWERED, question)
    assert row.reply_to_platform_id == "q-1" and row.has_voice and row.has_attachment
    asking = await store.inbox.get(question)
    assert asking is not None and asking.state is State.ANSWERED


async def test_a_reply_to_a_message_that_is_gone(store: SqlStore) -> None:
    with pytest.raises(LookupError):
        await store.outbox.add_reply(12345, Reply(text="late"), in_context=False)
    assert await store.outbox.load_reply(12345) is None


async def test_delivered_records_each_platform_message(store: SqlStore, message: Make) -> None:
    question = await asked(store, message)
    reply_id = await store.outbox.add_reply(question, Reply(text="a"), in_context=True)
    assert [r.id for r in await store.outbox.undelivered()] == [reply_id]
    await store.outbox.mark_delivered(reply_id, ["p-1", "p-2"])
    assert await store.outbox.undelivered() == []
    for part in ("p-1", "p-2"):
        await store.outbox.record_status(Platform.CLI, part, "read", None)
    asking = await store.inbox.get(question)
    assert asking is not None and asking.state is State.DELIVERED


async def test_a_passing_failure_is_due_again_later(store: SqlStore, message: Make) -> None:
    question = await asked(store, message)
    reply_id = await store.outbox.add_reply(question, Reply(text="a"), in_context=True)
    later = datetime.now(UTC) + timedelta(seconds=30)
    await store.outbox.mark_delivery_failed(reply_id, "429", permanent=False, retry_at=later)
    await store.outbox.mark_delivery_failed(reply_id, "429", permanent=False, retry_at=later)
    assert await store.outbox.attempts(reply_id) == 2
    assert await store.outbox.undelivered(due_before=datetime.now(UTC)) == []
    [due] = await store.outbox.undelivered(due_before=later + timedelta(seconds=1))
    assert due.id == reply_id and due.error == "429"


async def test_a_permanent_failure_fails_the_question_too(store: SqlStore, message: Make) -> None:
    question = await asked(store, message)
    reply_id = await store.outbox.add_reply(question, Reply(text="a"), in_context=True)
    await store.outbox.mark_delivery_failed(reply_id, "blocked", permanent=True, retry_at=None)
    for message_id in (question, reply_id):
        row = await store.inbox.get(message_id)
        assert row is not None and (row.state, row.error) == (State.FAILED, "blocked")


async def test_a_failed_status_report_marks_the_reply(store: SqlStore, message: Make) -> None:
    question = await asked(store, message)
    reply_id = await store.outbox.add_reply(question, Reply(text="a"), in_context=True)
    await store.outbox.mark_delivered(reply_id, ["wamid.1"])
    await store.outbox.record_status(Platform.CLI, "unknown", "failed", "ignored")
    await store.outbox.record_status(Platform.CLI, "wamid.1", "failed", "131047 re-engagement")
    row = await store.inbox.get(reply_id)
    assert row is not None and (row.state, row.error) == (State.FAILED, "131047 re-engagement")
