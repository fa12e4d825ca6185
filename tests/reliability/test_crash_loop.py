"""SIGKILLed at random moments while users write on all three channels: after each restart,
every message is answered, each chat's answers come in order, and nothing is answered
twice but a platform send that was in flight at the kill.

The CI-sized run of `bench/reliability.py`'s crash loop (which sends 200+ messages over
20+ chats and kills 20+ times); the rig is in `rig.py`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.reliability.rig import Rig, conversation, kill_loop, summary

MESSAGES, CHATS, KILLS = 45, 9, 4
MAX_CONCURRENT_CHATS = 8  # as the rig sets it: the sends that can be in flight at a kill


async def test_crash_loop_loses_and_reorders_nothing(tmp_path: Path) -> None:
    items = conversation(MESSAGES, CHATS, seed=7)
    async with Rig(tmp_path, chat_delay=0.3) as rig:
        writing = asyncio.create_task(rig.write_all(items, gap=0.4, seed=7))
        await kill_loop(rig, KILLS, up=(0.3, 2.5), seed=7)
        await writing
        tally = await rig.settle(items, within=90)
    print(summary(tally))
    assert tally.kills == KILLS
    assert any(tally.in_flight_at_kills), tally.in_flight_at_kills  # killed while working
    assert (tally.lost, tally.out_of_order, tally.crashes) == (0, 0, 0), tally.missing
    # The web chat's replies are the store itself: never twice. A WhatsApp part is on record
    # before it goes, and after a restart waits for Meta's report on it: never twice.
    # Telegram's part sent in the moment of a kill — taken, not yet recorded — goes again
    # after the restart (README, Reliability): at most the sends in flight per kill.
    assert tally.doubled_per_channel["web"] == tally.doubled_per_channel["whatsapp"] == 0
    assert tally.doubled <= tally.kills * MAX_CONCURRENT_CHATS
    assert set(tally.per_channel.values()) == {MESSAGES // 3}


async def test_redelivery_storm_gets_no_second_answer(tmp_path: Path) -> None:
    """30 % of deliveries made again (same client id / message id / wamid), some while
    the first is still being answered: one answer each."""
    items = conversation(30, 6, seed=11)
    async with Rig(tmp_path, chat_delay=0.2) as rig:
        await rig.write_all(items, gap=0.05, redeliver=0.3, seed=11)
        tally = await rig.settle(items, within=60, quiet=3.0)
    print(summary(tally))
    assert tally.redelivered == 9  # 30 % of 30
    assert (tally.lost, tally.doubled, tally.out_of_order) == (0, 0, 0), tally.missing
