"""More than 40 kinds of bad input across the three channels: each gets a 4xx with a
one-line error, a clear reply, or is recorded as failed and acknowledged; the process
stays up, what was stored before is still there, and the next messages are answered."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.badinput import canaries_kept, canary, run_table
from tests.reliability.rig import Chat, Rig, Sent


async def test_bad_input_gets_a_clear_answer_and_loses_nothing(tmp_path: Path) -> None:
    async with Rig(tmp_path, chat_delay=0, OMNIVOX_HTTP_READ_TIMEOUT="2") as rig:
        await canary(rig)
        assert rig.child is not None and rig.child.proc is not None
        pid = rig.child.proc.pid
        rows = await run_table(rig)
        after = [Sent(91_000 + n, Chat(c, 950 + n)) for n, c in
                 enumerate(("web", "telegram", "whatsapp"))]  # fmt: skip
        for item in after:
            await rig.send(item)
        tally = await rig.settle(after, within=30, quiet=0)
        assert rig.http is not None
        async with rig.http.get(f"{rig.base}/healthz") as response:
            health = response.status
        assert rig.child.alive and rig.child.proc.pid == pid
        kept = canaries_kept(rig)
        log = rig.child.log_text()
    for row in rows:
        print(f"{'ok  ' if row.ok else 'FAIL'} {row.channel:<9} {row.case:<45} {row.answer}")
    assert len(rows) >= 40
    assert [r for r in rows if not r.ok] == []
    assert (health, kept, tally.lost) == (200, 3, 0)
    assert "Traceback" not in log, log[-3000:]
