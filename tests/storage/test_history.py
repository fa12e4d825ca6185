"""Conversations read back: the context window's turns, the chat's pages, blobs, feedback."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Attachment, IncomingMessage, Platform, Reply, VoiceAudio
from bot.ports.store import Direction
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


async def exchange(store: SqlStore, message: Make, text: str, reply: Reply) -> int:
    accepted = await store.inbox.accept(message(text), in_context=True)
    assert accepted.id is not None
    return await store.outbox.add_reply(accepted.id, reply, in_context=True)


async def test_context_puts_each_reply_after_its_question(store: SqlStore, message: Make) -> None:
    first = await store.inbox.accept(message("one"), in_context=True)
    second = await store.inbox.accept(message("two"), in_context=True)
    assert first.id is not None and second.id is not None
    await store.outbox.add_reply(second.id, Reply(text="answer two"), in_context=True)
    await store.outbox.add_reply(first.id, Reply(text="answer one"), in_context=True)
    current = await store.inbox.get(second.id)
    assert current is not None
    turns = [m.text for m in await store.history.context(current)]
    assert turns == ["one", "answer one", "two", "answer two"]


async def test_commands_are_not_in_context(store: SqlStore, message: Make) -> None:
    await store.inbox.accept(message("/help"), in_context=False)
    asked = await store.inbox.accept(message("hello"), in_context=True)
    assert asked.id is not None
    current = await store.inbox.get(asked.id)
    assert current is not None
    assert [m.text for m in await store.history.context(current)] == ["hello"]


async def test_a_new_conversation_starts_an_empty_context(store: SqlStore, message: Make) -> None:
    await exchange(store, message, "before", Reply(text="ok"))
    await store.history.new_conversation(Platform.CLI, "chat-1")
    asked = await store.inbox.accept(message("after"), in_context=True)
    assert asked.id is not None
    current = await store.inbox.get(asked.id)
    assert current is not None
    assert [m.text for m in await store.history.context(current)] == ["after"]
    assert len(await store.history.messages(Platform.CLI, "chat-1")) == 3  # all still shown


async def test_pages_after_an_id_and_the_newest_few(store: SqlStore, message: Make) -> None:
    for n in range(3):
        await exchange(store, message, f"q{n}", Reply(text=f"a{n}"))
    every = await store.history.messages(Platform.CLI, "chat-1")
    assert [m.text for m in every] == ["q0", "a0", "q1", "a1", "q2", "a2"]
    newer = await store.history.messages(Platform.CLI, "chat-1", after_id=every[3].id)
    assert [m.text for m in newer] == ["q2", "a2"]
    newest = await store.history.messages(Platform.CLI, "chat-1", limit=3)
    assert [m.text for m in newest] == ["a1", "q2", "a2"]
    assert await store.history.messages(Platform.CLI, "other") == []


async def test_voice_and_attachment_bytes(store: SqlStore, message: Make) -> None:
    spoken = Reply(text="spoken", voice=VoiceAudio(data=b"OggS-bytes", duration=1.0))
    document = Attachment(file_name="h.md", data=b"# h", mime_type="text/markdown")
    voiced = await exchange(store, message, "speak", spoken)
    filed = await exchange(store, message, "export", Reply(text="file", attachment=document))
    assert await store.history.voice(voiced) == b"OggS-bytes"
    assert await store.history.voice(filed) is None
    assert await store.history.attachment(filed) == document
    listed = {m.id: m for m in await store.history.messages(Platform.CLI, "chat-1")}
    assert listed[voiced].has_voice and listed[voiced].voice_duration == 1.0
    assert listed[filed].has_attachment and listed[filed].direction is Direction.OUT


async def test_feedback_on_a_delivered_reply(store: SqlStore, message: Make) -> None:
    reply_id = await exchange(store, message, "q", Reply(text="a", feedback=True))
    await store.outbox.mark_delivered(reply_id, ["tg-55"])
    assert await store.history.record_feedback(Platform.CLI, "chat-1", "tg-55", -1)
    assert not await store.history.record_feedback(Platform.CLI, "chat-1", "unknown", 1)
    assert not await store.history.record_feedback(Platform.CLI, "other-chat", "tg-55", 1)
    row = await store.inbox.get(reply_id)
    assert row is not None and row.feedback == -1


async def test_last_incoming_at(store: SqlStore, message: Make) -> None:
    assert await store.history.last_incoming_at(Platform.CLI, "chat-1") is None
    sent = message("hi")
    await store.inbox.accept(sent, in_context=True)
    seen = await store.history.last_incoming_at(Platform.CLI, "chat-1")
    assert seen is not None and seen.tzinfo is not None
    assert abs((seen - sent.timestamp).total_seconds()) < 1
