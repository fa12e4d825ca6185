"""The inbox: each platform message accepted once, in a conversation, with its state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.models import ContentKind, IncomingMessage, MediaRef, Platform
from bot.ports.store import State
from storage.store import SqlStore

Make = Callable[..., IncomingMessage]


async def test_accept_then_get(store: SqlStore, message: Make) -> None:
    media = MediaRef(file_id="f1", mime_type="audio/ogg", size=10, duration=1.5)
    sent = message(None, kind=ContentKind.VOICE, media=media, user_name="Ada",
                   reply_to_id="7", reply_to_text="earlier")  # fmt: skip
    accepted = await store.inbox.accept(sent, in_context=True)
    assert accepted.id is not None and not accepted.duplicate
    row = await store.inbox.get(accepted.id)
    assert row is not None
    assert (row.platform, row.chat_id, row.user_id, row.kind) == (
        Platform.CLI, "chat-1", "chat-1", ContentKind.VOICE)
    assert row.media == media and row.state is State.RECEIVED
    assert (row.reply_to_platform_id, row.reply_to_text) == ("7", "earlier")
    assert row.platform_message_id == sent.message_id and row.in_context


async def test_a_redelivery_is_a_duplicate(store: SqlStore, message: Make) -> None:
    sent = message("once")
    first = await store.inbox.accept(sent, in_context=True)
    again = await store.inbox.accept(sent, in_context=True)
    assert again.duplicate and again.id == first.id


async def test_the_same_id_in_another_chat_is_another_message(
    store: SqlStore, message: Make
) -> None:
    one = await store.inbox.accept(message("a", message_id="11", chat_id="x"), in_context=True)
    two = await store.inbox.accept(message("b", message_id="11", chat_id="y"), in_context=True)
    assert one.id != two.id and not two.duplicate


async def test_concurrent_redeliveries_store_one(store: SqlStore, message: Make) -> None:
    sent = message("race")
    results = await asyncio.gather(*(store.inbox.accept(sent, in_context=True) for _ in range(5)))
    assert len({r.id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1


async def test_states_and_errors(store: SqlStore, message: Make) -> None:
    accepted = await store.inbox.accept(message("q"), in_context=True)
    assert accepted.id is not None
    await store.inbox.set_state(accepted.id, State.WORKING)
    assert [m.id for m in await store.inbox.unanswered()] == [accepted.id]
    await store.inbox.set_state(accepted.id, State.FAILED, "stopped by the user")
    row = await store.inbox.get(accepted.id)
    assert row is not None and (row.state, row.error) == (State.FAILED, "stopped by the user")
    assert await store.inbox.unanswered() == []


async def test_understanding_is_kept_and_nothing_else_changes(
    store: SqlStore, message: Make
) -> None:
    accepted = await store.inbox.accept(message(None, kind=ContentKind.VOICE), in_context=True)
    assert accepted.id is not None
    await store.inbox.record_understanding(accepted.id, transcript="bonjour", language="fr")
    await store.inbox.record_understanding(accepted.id)  # nothing to keep: no statement
    row = await store.inbox.get(accepted.id)
    assert row is not None
    assert (row.transcript, row.language, row.caption) == ("bonjour", "fr", None)


async def test_a_new_user_and_a_renamed_one(store: SqlStore, message: Make) -> None:
    await store.inbox.accept(message("hi", user_name="Ada"), in_context=True)
    await store.inbox.accept(message("hi", user_name="Ada L."), in_context=True)
    assert (await store.users.settings(Platform.CLI, "chat-1")).reply_mode == "auto"


async def test_a_failed_insert_does_not_poison_the_next_message(
    store: SqlStore, message: Make
) -> None:
    import pytest
    from sqlalchemy.exc import DBAPIError

    with pytest.raises((UnicodeEncodeError, DBAPIError)):  # the driver refuses to encode it
        await store.inbox.accept(message("\ud800", user_name="New"), in_context=True)
    after = await store.inbox.accept(message("fine", user_name="New"), in_context=True)
    assert after.id is not None and not after.duplicate
    row = await store.inbox.get(after.id)
    assert row is not None and row.text == "fine"


async def test_a_message_after_another_process_forgot_the_user_is_kept(
    store: SqlStore, db_url: str, message: Make
) -> None:
    """This store remembers the user's row id; another process forgets the user."""

    await store.inbox.accept(message("before"), in_context=True)
    other = SqlStore.from_url(db_url)
    await other.privacy.forget(Platform.CLI, "chat-1", "chat-1")
    await other.close()
    after = await store.inbox.accept(message("after"), in_context=True)
    assert not after.duplicate and after.id is not None
    assert [m.text for m in await store.history.messages(Platform.CLI, "chat-1")] == ["after"]


async def test_a_live_turn_is_never_answered_again(store: SqlStore, message: Make) -> None:
    """A call's turn is answered by the call: after a crash no restart may answer it as a
    voice note with no audio."""
    turn = await store.inbox.accept(message(None, kind=ContentKind.VOICE), in_context=True,
                                    live=True)  # fmt: skip
    assert turn.id is not None
    row = await store.inbox.get(turn.id)
    assert row is not None and row.state is State.ANSWERED
    assert await store.inbox.unanswered() == []
