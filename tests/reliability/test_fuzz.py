"""Generated payloads at the three doors: no exception escapes, and every payload is a
message, an ignored event or a 4xx (`bench/reliability.py` runs 100,000+ of them)."""

from __future__ import annotations

from tests.reliability.fuzzing import (
    WebForm,
    check_telegram,
    check_whatsapp,
    run,
    telegram_updates,
    web_bodies,
    whatsapp_bodies,
)


def test_telegram_updates_parse_or_are_recorded_as_failed() -> None:
    outcomes = run(telegram_updates(), check_telegram, 1500)
    print(dict(outcomes))
    assert sum(outcomes.values()) >= 1000
    assert outcomes["message"] and outcomes["recorded as failed"] and outcomes["ignored"]


def test_whatsapp_bodies_parse_or_get_400() -> None:
    outcomes = run(whatsapp_bodies(), check_whatsapp, 1500)
    print(dict(outcomes))
    assert sum(outcomes.values()) >= 1000
    assert outcomes["message"] and outcomes["400"] and outcomes["ignored"]


def test_web_form_bodies_are_taken_or_get_a_4xx_with_one_line() -> None:
    form = WebForm()
    try:
        outcomes = run(web_bodies(), form.check, 400)
    finally:
        form.close()
    print(dict(outcomes))
    assert outcomes["202"] and outcomes["400"]
