"""20 % of the sends fail (429 with retry_after, 500, timeouts, 130429, resets): every
reply still arrives, once, in order, and the calls it took stay few (no retry storm)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.reliability.faults import describe, platform_only, run_faults
from tests.reliability.rig import conversation

MAX_CALLS_FOR_ONE_REPLY = 6


async def test_faults_on_a_fifth_of_sends_lose_and_double_nothing(tmp_path: Path) -> None:
    items = platform_only(conversation(60, 12, seed=3))
    tally, calls = await run_faults(tmp_path, items, rate=0.2, seed=3)
    print(json.dumps(describe(tally, calls)))
    assert sum(calls.faults.values()) >= 5, calls.faults  # the faults did happen
    assert (tally.lost, tally.doubled, tally.out_of_order) == (0, 0, 0), tally.missing
    assert calls.mean < 2.0
    assert calls.most <= MAX_CALLS_FOR_ONE_REPLY
