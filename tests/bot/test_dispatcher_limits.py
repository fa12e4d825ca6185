"""Limits at the door: only new messages count against the rate, and one text limit everywhere."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.limits import too_long_text
from bot.models import IncomingMessage, Platform
from bot.ports.store import Direction
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import fake_engines
from tests.support.settings import changed, make_dispatcher

Make = Callable[..., IncomingMessage]


async def test_redeliveries_do_not_count_against_the_rate_limit(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    limited = changed(settings, rate_limit_per_minute=3, new_message_interrupts=False)
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(), limited)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    first = message("A", message_id="wamid.A")
    results = [await dispatcher.accept(first) for _ in range(3)]
    later = await dispatcher.accept(message("B", message_id="wamid.B"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert [r.duplicate for r in results] == [False, True, True]
    assert not later.refused and later.id is not None
    assert [s.text.strip() for s in channel.sent] == ["You said: A", "You said: B"]


async def test_a_message_over_the_limit_is_not_stored_and_the_user_is_told(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    limited = changed(settings, rate_limit_per_minute=1, new_message_interrupts=False)
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(), limited)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    await dispatcher.accept(message("kept"))
    over = await dispatcher.accept(message("too many"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert over.refused and over.id is None
    stored = await store.history.messages(Platform.CLI, "chat-1")
    assert [m.text for m in stored if m.direction is Direction.IN] == ["kept"]
    assert any("skipped your last message" in s.text for s in channel.sent)


async def test_an_over_long_text_is_stored_cut_and_answered_with_the_limit(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(), settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    limit = settings.limits.max_text_chars
    accepted = await dispatcher.accept(message("x" * 100_000))
    await dispatcher.idle()
    await dispatcher.stop()
    assert accepted.id is not None
    stored = await store.inbox.get(accepted.id)
    assert stored is not None and stored.text == "x" * limit and not stored.in_context
    [reply] = [m for m in await store.history.messages(Platform.CLI, "chat-1")
               if m.direction is Direction.OUT]  # fmt: skip
    assert reply.text == too_long_text(limit, 100_000)
