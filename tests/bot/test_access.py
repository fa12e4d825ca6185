"""Who may talk to omnivox and how often: the allow-list and the per-user rate limit."""

from __future__ import annotations

from bot.access import AccessPolicy, rate_limited_text
from bot.models import Platform
from tests.support.messages import make_message
from tests.support.settings import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(clock: Clock | None = None, **values: object) -> AccessPolicy:
    return AccessPolicy(make_settings(**values).access, clock=clock)


def test_everyone_is_allowed_without_a_list() -> None:
    assert policy().is_allowed(make_message(user_id="anyone"))


def test_the_list_matches_platform_and_id_as_users_write_them() -> None:
    listed = policy(allowed_users="Telegram:42, whatsapp:+4915112345678")
    assert listed.is_allowed(make_message(platform=Platform.TELEGRAM, user_id="42"))
    assert listed.is_allowed(make_message(platform=Platform.WHATSAPP, user_id="4915112345678"))
    assert not listed.is_allowed(make_message(platform=Platform.TELEGRAM, user_id="43"))
    assert not listed.is_allowed(make_message(platform=Platform.WHATSAPP, user_id="42"))


def test_a_stranger_is_refused_once() -> None:
    listed = policy(allowed_users="cli:friend")
    stranger = make_message(user_id="stranger")
    assert listed.should_send_refusal(stranger)
    assert not listed.should_send_refusal(make_message(user_id="stranger"))


def test_the_rate_limit_is_a_sliding_minute() -> None:
    clock = Clock()
    limited = policy(clock, rate_limit_per_minute=2)
    sent = make_message(user_id="u")
    assert limited.take(sent) and limited.take(sent)
    assert not limited.take(sent)
    assert limited.take(make_message(user_id="someone else"))
    clock.now += 60.0
    assert limited.take(sent)


def test_slow_down_is_said_once_a_minute() -> None:
    clock = Clock()
    limited = policy(clock, rate_limit_per_minute=1)
    sent = make_message(user_id="u")
    assert limited.should_warn(sent) and not limited.should_warn(sent)
    clock.now += 61.0
    assert limited.should_warn(sent)
    assert "3 a minute" in rate_limited_text(3)
