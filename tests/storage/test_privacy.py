"""Export shows what is stored; forget deletes the user's messages, settings and media refs."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import ContentKind, IncomingMessage, MediaRef, Platform, Reply
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


async def test_export_is_the_whole_chat(store: SqlStore, message: Make) -> None:
    accepted = await store.inbox.accept(message("q"), in_context=True)
    assert accepted.id is not None
    await store.outbox.add_reply(accepted.id, Reply(text="a"), in_context=True)
    await store.history.new_conversation(Platform.CLI, "chat-1")
    await store.inbox.accept(message("later"), in_context=True)
    assert [m.text for m in await store.privacy.export(Platform.CLI, "chat-1")] == [
        "q", "a", "later"]


async def test_forget_a_private_chat(store: SqlStore, message: Make) -> None:
    voice = MediaRef(file_id="upload-1", mime_type="audio/ogg")
    kept = await store.inbox.accept(message(None, kind=ContentKind.VOICE, media=voice),
                                    in_context=True)  # fmt: skip
    assert kept.id is not None
    await store.outbox.add_reply(kept.id, Reply(text="a"), in_context=True)
    await store.users.update(Platform.CLI, "chat-1", voice="piper:x")
    request = await store.inbox.accept(message("/forget confirm"), in_context=False)
    forgotten = await store.privacy.forget(Platform.CLI, "chat-1", "chat-1", keep_id=request.id)
    assert forgotten.messages == 2 and forgotten.media == ((Platform.CLI, voice),)
    assert [m.text for m in await store.history.messages(Platform.CLI, "chat-1")] == [
        "/forget confirm"]
    assert (await store.users.settings(Platform.CLI, "chat-1")).voice is None


async def test_forget_in_a_group_takes_only_the_users_messages(
    store: SqlStore, message: Make
) -> None:
    await store.inbox.accept(message("mine", user_id="me", chat_id="g", is_group=True),
                             in_context=True)  # fmt: skip
    await store.inbox.accept(message("theirs", user_id="you", chat_id="g", is_group=True),
                             in_context=True)  # fmt: skip
    forgotten = await store.privacy.forget(Platform.CLI, "g", "me")
    assert forgotten.messages == 1
    assert [m.text for m in await store.history.messages(Platform.CLI, "g")] == ["theirs"]


async def test_replies_go_with_what_they_answer(store: SqlStore, message: Make) -> None:
    accepted = await store.inbox.accept(message("x"), in_context=True)
    assert accepted.id is not None
    reply_id = await store.outbox.add_reply(accepted.id, Reply(text="y"), in_context=True)
    await store.privacy.forget(Platform.CLI, "chat-1", "chat-1")
    assert await store.inbox.get(accepted.id) is None and await store.inbox.get(reply_id) is None


async def test_message_ids_are_never_reused(store: SqlStore, message: Make) -> None:
    first = await store.inbox.accept(message("one"), in_context=True)
    await store.privacy.forget(Platform.CLI, "chat-1", "chat-1")
    second = await store.inbox.accept(message("two"), in_context=True)
    assert first.id is not None and second.id is not None and second.id > first.id
