"""Tokens, the app secret and API keys never show: not in the log (DEBUG included), not in
a reply, not in /healthz or /metrics, not in `omnivox doctor` — found by grepping for the
values themselves while every channel works and fails (see leaks.py)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.leaks import search


async def test_no_secret_in_logs_replies_health_or_doctor(tmp_path: Path) -> None:
    found = await search(tmp_path)
    # the log did record what went on, the lines that once held the token among it
    assert "Set Bot API URL" in found.log and "getFile" in found.log
    assert "Graph error 190" in found.log
    assert "telegram" in found.doctor and "rejected" in found.rejected.lower(), found.rejected
    assert found.secrets == 7
    assert found.leaks == []
