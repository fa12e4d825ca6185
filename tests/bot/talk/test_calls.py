"""Who may open a talk session, and how many at once."""

from __future__ import annotations

import pytest

from bot.access import AccessPolicy
from bot.ports.engines import Engines
from bot.ports.talk import TalkRefused
from bot.talk.calls import BUSY, Talk
from storage.store import SqlStore
from tests.bot.talk.conftest import CALLER
from tests.support.settings import make_settings


async def test_one_call_over_the_bound_is_refused_politely(
    store: SqlStore, engines: Engines
) -> None:
    talk = make_talk(store, engines, max_calls=2)
    await talk.open(CALLER, lambda _e: None)
    await talk.open(CALLER, lambda _e: None)
    with pytest.raises(TalkRefused) as refused:
        await talk.open(CALLER, lambda _e: None)
    assert refused.value.busy and refused.value.reason == BUSY
    await talk.close_all()
    assert talk.active == 0
    await talk.open(CALLER, lambda _e: None)  # a line is free again


async def test_a_caller_not_on_the_list_is_refused(store: SqlStore, engines: Engines) -> None:
    talk = make_talk(store, engines, allowed_users="web:someone-else")
    with pytest.raises(TalkRefused) as refused:
        await talk.open(CALLER, lambda _e: None)
    assert "private" in refused.value.reason and not refused.value.busy


async def test_a_caller_over_the_rate_limit_is_refused(store: SqlStore, engines: Engines) -> None:
    talk = make_talk(store, engines, rate_limit_per_minute=1)
    await talk.close((await talk.open(CALLER, lambda _e: None)).talk_id)
    with pytest.raises(TalkRefused) as refused:
        await talk.open(CALLER, lambda _e: None)
    assert "faster than I can take them" in refused.value.reason


def make_talk(store: SqlStore, engines: Engines, **values: object) -> Talk:
    settings = make_settings(**values)
    return Talk(store, engines, settings.conversation, settings.talk,
                AccessPolicy(settings.access))  # fmt: skip
