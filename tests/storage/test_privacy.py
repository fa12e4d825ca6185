"""Export shows what is stored; forget deletes the user's messages, settings and media refs."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import ContentKind, IncomingMessage, MediaRef, Platform, Reply, ReplyEvent
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


async def _count(store: SqlStore, sql: str) -> int:
    from sqlalchemy import text

    async with store.db.read() as conn:
        return int(await conn.scalar(text(sql)) or 0)


async def test_forget_takes_the_user_row_and_close_takes_the_rest(
    store: SqlStore, message: Make
) -> None:
    asked = await store.inbox.accept(message("mine", user_name="Ada"), in_context=True)
    assert asked.id is not None
    await store.history.new_conversation(Platform.CLI, "chat-1")
    request = await store.inbox.accept(message("/forget confirm"), in_context=False)
    assert request.id is not None
    await store.privacy.forget(Platform.CLI, "chat-1", "chat-1", keep_id=request.id)
    assert await store.privacy.profile(Platform.CLI, "chat-1") is None
    assert await _count(store, "SELECT count(*) FROM users") == 0
    assert await _count(store, "SELECT count(*) FROM conversations") == 1  # the request's, for now
    done = Reply(text="Done.", event=ReplyEvent.HISTORY_DELETED)
    reply_id = await store.outbox.add_reply(request.id, done, in_context=False)
    assert not await store.privacy.close(Platform.CLI, "another-chat", reply_id)
    assert await store.privacy.close(Platform.CLI, "chat-1", reply_id)
    for table in ("messages", "users", "conversations", "deliveries"):
        assert await _count(store, f"SELECT count(*) FROM {table}") == 0, table


async def test_close_is_only_for_a_forget_confirmation(store: SqlStore, message: Make) -> None:
    asked = await store.inbox.accept(message("q"), in_context=True)
    assert asked.id is not None
    reply_id = await store.outbox.add_reply(asked.id, Reply(text="a"), in_context=True)
    assert not await store.privacy.close(Platform.CLI, "chat-1", reply_id)
    assert await store.inbox.get(reply_id) is not None


async def test_in_a_group_others_keep_no_quote_of_the_forgotten(
    store: SqlStore, message: Make
) -> None:
    await store.inbox.accept(message("my words", user_id="me", chat_id="g", is_group=True,
                                     message_id="m-mine"), in_context=True)  # fmt: skip
    await store.inbox.accept(message("I agree", user_id="you", chat_id="g", is_group=True,
                                     reply_to_id="m-mine", reply_to_text="my words"),
                             in_context=True)  # fmt: skip
    await store.privacy.forget(Platform.CLI, "g", "me")
    [left] = await store.history.messages(Platform.CLI, "g")
    assert left.text == "I agree" and left.reply_to_text is None


async def test_the_profile_is_what_export_shows(store: SqlStore, message: Make) -> None:
    await store.inbox.accept(message("hi", user_name="Ada"), in_context=True)
    await store.users.update(Platform.CLI, "chat-1", voice="piper:x", speed=1.25)
    profile = await store.privacy.profile(Platform.CLI, "chat-1")
    assert profile is not None and profile.name == "Ada"
    assert (profile.settings.voice, profile.settings.speed) == ("piper:x", 1.25)


async def test_export_reaches_what_forget_takes_in_other_chats(
    store: SqlStore, message: Make
) -> None:
    await store.inbox.accept(message("in private", user_id="me", chat_id="me"), in_context=True)
    await store.inbox.accept(message("in the group", user_id="me", chat_id="g", is_group=True),
                             in_context=True)  # fmt: skip
    await store.inbox.accept(message("not mine", user_id="you", chat_id="g", is_group=True),
                             in_context=True)  # fmt: skip
    assert [m.text for m in await store.privacy.elsewhere(Platform.CLI, "me", "me")] == [
        "in the group"]
    forgotten = await store.privacy.forget(Platform.CLI, "me", "me")
    assert forgotten.messages == 2
