"""A forget's request and confirmation go once the user has the confirmation, or its hold ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.config import Settings
from bot.models import IncomingMessage, Platform
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import fake_engines
from tests.support.settings import make_dispatcher

Make = Callable[..., IncomingMessage]


async def _forget(store: SqlStore, settings: Settings, message: Make, hold: float) -> None:
    channel = RecordingChannel(confirmation_hold=hold)
    dispatcher = make_dispatcher(store, fake_engines(), settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    await dispatcher.accept(message("/forget confirm"))
    await dispatcher.idle()
    await dispatcher.stop()


async def test_an_unread_confirmation_goes_when_its_hold_ends(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    channel = RecordingChannel(confirmation_hold=0.3)
    dispatcher = make_dispatcher(store, fake_engines(), settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    await dispatcher.accept(message("/forget confirm"))
    await dispatcher.idle()
    assert len(await store.history.messages(Platform.CLI, "chat-1")) == 2
    await asyncio.sleep(0.5)
    await dispatcher.idle()
    await dispatcher.stop()
    assert await store.history.messages(Platform.CLI, "chat-1") == []


async def test_a_confirmation_left_at_a_restart_goes_at_the_next_start(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    await _forget(store, settings, message, hold=3600.0)  # stopped before the hold ended
    assert len(await store.history.messages(Platform.CLI, "chat-1")) == 2
    again = make_dispatcher(store, fake_engines(), settings)
    again.add_adapter(RecordingChannel(confirmation_hold=0.0))
    await again.start()
    await again.idle()
    await again.stop()
    assert await store.history.messages(Platform.CLI, "chat-1") == []
