"""People's settings: defaults for strangers, changes remembered, unknown names refused."""

from __future__ import annotations

import pytest

from bot.models import Platform
from bot.ports.store import UserSettings
from storage.store import SqlStore


async def test_a_stranger_has_the_defaults(store: SqlStore) -> None:
    assert await store.users.settings(Platform.CLI, "nobody") == UserSettings()


async def test_settings_are_remembered(store: SqlStore) -> None:
    await store.users.update(Platform.CLI, "u1", reply_mode="voice", speed=1.25)
    await store.users.update(Platform.CLI, "u1", voice="piper:x", language="fr")
    assert await store.users.settings(Platform.CLI, "u1") == UserSettings(
        voice="piper:x", reply_mode="voice", language="fr", speed=1.25)
    assert await store.users.settings(Platform.TELEGRAM, "u1") == UserSettings()


async def test_unknown_settings_are_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="unknown settings"):
        await store.users.update(Platform.CLI, "u1", colour="blue")
