"""`omnivox run | gateway | worker | chat | db upgrade | doctor`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import shutil
import signal
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.logs import configure, protect_settings

if TYPE_CHECKING:
    from bot.app import Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="omnivox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve the web chat and the configured channels")
    sub.add_parser("gateway", help="accept messages into the inbox (PostgreSQL; many may run)")
    sub.add_parser("worker", help="answer the queued messages (PostgreSQL; many may run)")
    sub.add_parser("chat", help="chat in this terminal on the same pipeline")
    db = sub.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("doctor", help="which engines, models and channels are available")
    args = parser.parse_args(argv)
    settings = Settings()
    protect_settings(settings)
    configure(settings.server.log_level, sql=settings.server.log_sql)
    if args.command in ("run", "gateway", "worker"):
        return asyncio.run(_run(settings, args.command))
    if args.command == "chat":
        return asyncio.run(_chat(settings))
    if args.command == "db":
        from storage.database import upgrade

        upgrade(settings.storage.database_url)
        print(f"database is up to date: {_safe_url(settings.storage.database_url)}")
        return 0
    return _doctor(settings)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _run(settings: Settings, command: str) -> int:
    from bot.app import serving
    from storage.queue import is_postgres

    role: Role = "all" if command == "run" else "gateway" if command == "gateway" else "worker"
    if role != "all" and not is_postgres(settings.storage.database_url):
        print(f"omnivox {command} needs a PostgreSQL OMNIVOX_DATABASE_URL "
              "(postgresql+asyncpg://…); on SQLite, `omnivox run` does everything.",
              file=sys.stderr)  # fmt: skip
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with serving(settings, role=role) as app:
        channels = ", ".join(a.platform.value for a in app.adapters)
        server = settings.server
        name = "omnivox" if role == "all" else f"omnivox {role}"
        print(f"{name} is up: http://{server.host}:{server.port}/  (channels: {channels})",
              flush=True)
        await stop.wait()
    return 0


async def _chat(settings: Settings) -> int:
    from adapters.terminal import TerminalAdapter
    from bot.app import Omnivox

    app = Omnivox(settings)
    terminal = TerminalAdapter(
        Path(settings.server.data_dir) / "terminal", settings.limits.max_media_bytes
    )
    app.adapters.append(terminal)
    app.dispatcher.add_adapter(terminal)
    await app.start()
    print("omnivox chat – type a message; /voicefile PATH, /photo PATH [question], /help; "
          "Ctrl-D to leave.")
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            parsed = terminal.parse(line.rstrip("\n"), uuid.uuid4().hex)
            if isinstance(parsed, str):
                print(f"omnivox> {parsed}")
                continue
            await app.dispatcher.accept(parsed)
            await app.dispatcher.idle(within=600)
    finally:
        await app.stop()
    return 0


def _doctor(settings: Settings) -> int:
    from bot.engines.registry import engine_statuses

    print("Storage")
    for ok, name, detail in asyncio.run(_check_storage(settings)):
        print(f"  {'ok ' if ok else '-- '} {name:<8} {detail}")

    print("Engines")
    for status in engine_statuses(settings):
        mark = "ok " if status.available else "-- "
        print(f"  {mark} {status.job:<7} {status.engine:<22} {status.detail}")
        if status.hint and not status.available:
            print(f"        → {status.hint}")
    print("Channels")
    print(f"  ok  web      http://{settings.server.host}:{settings.server.port}/")
    if settings.telegram.enabled:
        from adapters.telegram.probe import token_status

        ok, detail = asyncio.run(token_status(settings.telegram))
        print(f"  {'ok ' if ok else '-- '} {'telegram':<8} {detail}")
    else:
        _channel("telegram", False, "set TELEGRAM_BOT_TOKEN")
    _channel(
        "whatsapp",
        settings.whatsapp.enabled,
        "set WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET and "
        "WHATSAPP_VERIFY_TOKEN",
    )
    print("Tools")
    for tool, use in (("espeak-ng", "voices for other languages"), ("chromium", "browser test")):
        found = shutil.which(tool)
        print(f"  {'ok ' if found else '-- '} {tool:<10} {use}"
              + ("" if found else f" → apt-get install {tool}"))
    has_lingua = importlib.util.find_spec("lingua") is not None
    print(f"  {'ok ' if has_lingua else '-- '} {'lingua':<10} the language of text messages"
          + ("" if has_lingua else " → pip install lingua-language-detector"))
    has_playwright = importlib.util.find_spec("playwright") is not None
    print(f"  {'ok ' if has_playwright else '-- '} {'playwright':<10} browser test")
    return 0


async def _check_storage(settings: Settings) -> list[tuple[bool, str, str]]:
    """The database answers and is migrated; on PostgreSQL, the job queue answers too."""
    from storage.queue import PgQueue, is_postgres
    from storage.store import SqlStore

    url = settings.storage.database_url
    found: list[tuple[bool, str, str]] = []
    store = SqlStore.from_url(url)
    try:
        await store.ping()
        found.append((True, "database", _safe_url(url)))
    except Exception as failure:
        found.append((False, "database", f"{_safe_url(url)}: {type(failure).__name__}: "
                      f"{failure}"))  # fmt: skip
    finally:
        await store.close()
    if not is_postgres(url):
        found.append((True, "queue", "none needed: `omnivox run` does all in one process"))
        return found
    try:
        queue = PgQueue(url, heartbeat=settings.scale.heartbeat,
                        stalled_after=settings.scale.stalled_after)  # fmt: skip
    except ImportError:
        found.append((False, "queue", "pip install 'omnivox[postgres]'"))
        return found
    try:
        await queue.open()
        await queue.ping()
        depth = await queue.depth()
        found.append((True, "queue", f"procrastinate: {depth.waiting} waiting, "
                      f"{depth.running} running"))  # fmt: skip
    except Exception as failure:
        found.append((False, "queue", f"{type(failure).__name__}: {failure}"))
    finally:
        await queue.close()
    return found


def _channel(name: str, enabled: bool, hint: str) -> None:
    print(f"  {'ok ' if enabled else '-- '} {name:<8} " + ("configured" if enabled else hint))


if __name__ == "__main__":
    raise SystemExit(main())
