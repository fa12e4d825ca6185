"""The command line: `omnivox db upgrade` and `omnivox doctor` say what they did and found."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.telegram_server import TOKEN, FakeBotApi


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    """The fake Bot API on its own loop in a thread, for the synchronous command line."""
    ready, done = threading.Event(), threading.Event()
    server = FakeBotApi()

    async def serve() -> None:
        await server.start()
        ready.set()
        while not done.is_set():
            await asyncio.sleep(0.05)
        await server.stop()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield server
    done.set()
    thread.join(10)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.setenv("OMNIVOX_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:tok-xyzzy-plugh")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens
    return db


def test_db_upgrade_migrates_and_hides_passwords(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "database is up to date" in capsys.readouterr().out
    with sqlite3.connect(env) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0004"


def test_doctor_lists_engines_and_channels_without_secrets(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "Engines" in out and "Channels" in out and "Tools" in out
    assert "telegram" in out and "could not be reached" in out
    assert "speech" in out and "chat" in out
    assert "xyzzy" not in out


def test_doctor_says_the_telegram_token_was_rejected_without_showing_it(
    env: Path, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", bot_api.base_url)  # it knows another token
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line[6:].startswith("telegram")]
    assert line.split()[0] == "--" and "rejected the bot token" in line
    assert "xyzzy" not in out


def test_doctor_names_the_bot_a_good_token_belongs_to(
    env: Path, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", bot_api.base_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert main(["doctor"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "telegram" in line]
    assert line.split()[0] == "ok" and "@omnivox_test_bot" in line


def test_an_unknown_command_is_refused(env: Path) -> None:
    with pytest.raises(SystemExit):
        main(["fly"])
