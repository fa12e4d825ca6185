"""The command line: `omnivox db upgrade` and `omnivox doctor` say what they did and found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.setenv("OMNIVOX_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:tok-xyzzy-plugh")
    return db


def test_db_upgrade_migrates_and_hides_passwords(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "database is up to date" in capsys.readouterr().out
    with sqlite3.connect(env) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0003"


def test_doctor_lists_engines_and_channels_without_secrets(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "Engines" in out and "Channels" in out and "Tools" in out
    assert "telegram" in out and "configured" in out
    assert "speech" in out and "chat" in out
    assert "xyzzy" not in out


def test_an_unknown_command_is_refused(env: Path) -> None:
    with pytest.raises(SystemExit):
        main(["fly"])
