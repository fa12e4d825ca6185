"""The counting the reliability runs rely on finds each kind of failure."""

from __future__ import annotations

from tests.reliability.rig import Chat, Sent, count

WEB, TG = Chat("web", 0), Chat("telegram", 1)
ITEMS = [Sent(0, WEB), Sent(1, TG), Sent(2, WEB), Sent(3, TG)]


def test_every_message_answered_once_in_order_counts_clean() -> None:
    tally = count(ITEMS, {"web:rel-000": ["You said: m00000", "You said: m00002"],
                          "telegram:710001": ["m00001", "m00003"]})  # fmt: skip
    assert (tally.answered, tally.lost, tally.doubled, tally.out_of_order) == (4, 0, 0, 0)


def test_lost_doubled_and_out_of_order_are_counted() -> None:
    tally = count(ITEMS, {"web:rel-000": ["m00002", "m00000", "m00000"],
                          "telegram:710001": ["m00001"]})  # fmt: skip
    assert (tally.lost, tally.doubled, tally.out_of_order) == (1, 1, 1)
    assert tally.missing == ["m00003"]
