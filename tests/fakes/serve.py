"""Run omnivox with the test-double engines in a subprocess (for crash/restart tests).

Configured by the usual OMNIVOX_* / TELEGRAM_* / WHATSAPP_* variables, plus
FAKE_CHAT_DELAY (seconds the fake model waits before answering), FAKE_TRANSCRIPT and
OMNIVOX_ROLE (all, gateway or worker; default all). Prints "READY <port>" once serving.
"""

from __future__ import annotations

import asyncio
import os
import signal

from bot.app import serving
from bot.logs import configure
from tests.fakes.engines import fake_engines
from tests.support.settings import make_settings


async def main() -> None:
    settings = make_settings()
    configure(settings.server.log_level)
    engines = fake_engines(
        chat_delay=float(os.environ.get("FAKE_CHAT_DELAY", "0")),
        transcript=os.environ.get("FAKE_TRANSCRIPT"),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    role = os.environ.get("OMNIVOX_ROLE", "all")
    assert role in ("all", "gateway", "worker"), role
    async with serving(settings, engines, role=role):  # type: ignore[arg-type]
        print(f"READY {settings.server.port}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
