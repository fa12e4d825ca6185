"""0003: parts on deliveries, and people who wrote before the notice are not new."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.database import upgrade


def test_people_who_wrote_before_are_not_shown_the_notice(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0002")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (platform, platform_user_id, reply_mode, speed, created_at) "
            "VALUES ('telegram', '42', 'auto', 1.0, '2026-11-30 10:00:00')"
        )
    upgrade(url)
    with sqlite3.connect(path) as conn:
        [(notified,)] = conn.execute("SELECT notified_at FROM users").fetchall()
        columns = {row[1] for row in conn.execute("PRAGMA table_info(deliveries)")}
    assert notified == "2026-11-30 10:00:00" and "part" in columns
