"""The courier: a stored reply is sent once, through its channel, and retried when it may pass."""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery import Courier
from bot.errors import DeliveryError
from bot.models import Attachment, IncomingMessage, Platform, Reply, VoiceAudio
from bot.ports.store import State
from bot.sending import ATTACHMENT_PARTS
from bot.tasks import TaskSet
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel

Make = Callable[..., IncomingMessage]


async def courier_for(store: SqlStore, channel: RecordingChannel) -> Courier:
    return Courier(store.outbox, store.parts, {Platform.CLI: channel}, TaskSet())


async def asked(store: SqlStore, message: Make, text: str = "question") -> int:
    accepted = await store.inbox.accept(message(text), in_context=True)
    assert accepted.id is not None
    return accepted.id


async def test_an_answer_is_stored_then_sent_quoting_the_question(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    question = await store.inbox.get(await asked(store, message))
    assert question is not None
    await courier.answer(question, Reply(text="answer"), in_context=True)
    [sent] = channel.sent
    assert (sent.text, sent.reply_to_id) == ("answer", question.platform_message_id)
    [_, reply] = await store.history.messages(Platform.CLI, "chat-1")
    assert reply.state is State.DELIVERED and reply.answer_to == question.id


async def test_a_reply_and_its_attachment_both_go(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    question = await store.inbox.get(await asked(store, message))
    assert question is not None
    export = Attachment(file_name="h.md", data=b"# h", mime_type="text/markdown")
    await courier.answer(question, Reply(text="here", attachment=export), in_context=False)
    assert [s.kind for s in channel.sent] == ["text", "attachment"]


async def test_an_answer_to_a_forgotten_message_is_sent_and_not_stored(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    question = await store.inbox.get(await asked(store, message))
    assert question is not None
    await store.privacy.forget(Platform.CLI, "chat-1", "chat-1")
    await courier.answer(question, Reply(text="Done."), in_context=False)
    assert [s.text for s in channel.sent] == ["Done."]
    assert await store.history.messages(Platform.CLI, "chat-1") == []


async def test_a_failure_that_may_pass_is_scheduled_and_counted(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    question_id = await asked(store, message)
    reply_id = await store.outbox.add_reply(question_id, Reply(text="a"), in_context=True)
    channel.failures.append(DeliveryError("flood", retry_after=30))
    await courier.deliver(reply_id)
    [due] = await store.outbox.undelivered()
    assert due.id == reply_id and due.error == "flood"
    assert await store.outbox.attempts(reply_id) == 1
    assert await store.outbox.undelivered(due_before=due.created_at) == []


async def test_a_permanent_failure_is_recorded_on_both_messages(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    question_id = await asked(store, message)
    reply_id = await store.outbox.add_reply(question_id, Reply(text="a"), in_context=True)
    channel.failures.append(DeliveryError("bot was blocked", permanent=True))
    await courier.deliver(reply_id)
    for message_id in (question_id, reply_id):
        row = await store.inbox.get(message_id)
        assert row is not None and (row.state, row.error) == (State.FAILED, "bot was blocked")
    assert await store.outbox.undelivered() == []


async def test_a_delivered_reply_is_never_sent_again(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    reply_id = await store.outbox.add_reply(await asked(store, message), Reply(text="a"),
                                            in_context=True)  # fmt: skip
    await courier.deliver(reply_id)
    await courier.deliver(reply_id)
    assert len(channel.sent) == 1


async def test_a_retry_after_a_partial_failure_sends_only_the_missing_part(
    store: SqlStore, channel: RecordingChannel, message: Make
) -> None:
    courier = await courier_for(store, channel)
    export = Attachment(file_name="h.md", data=b"# h", mime_type="text/markdown")
    voice = VoiceAudio(data=b"OggS", duration=1.0)
    reply_id = await store.outbox.add_reply(
        await asked(store, message), Reply(text="here", voice=voice, attachment=export),
        in_context=False,
    )  # fmt: skip
    channel.failures_for["attachment"] = [DeliveryError("timed out")]
    await courier.deliver(reply_id)
    assert [s.kind for s in channel.sent] == ["voice"]
    await courier.deliver(reply_id)  # the retry
    assert [s.kind for s in channel.sent] == ["voice", "attachment"]
    row = await store.inbox.get(reply_id)
    assert row is not None and row.state is State.DELIVERED
    assert sorted((await store.parts.of(reply_id)).keys()) == [0, ATTACHMENT_PARTS]
