"""A gateway and workers as real child processes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.telegram_server import FakeBotApi
from tests.support.ports import free_port
from tests.support.process import kill_hard, start_omnivox, stop

# short enough for a test: a dead worker's jobs and claims come back within seconds
FAST_RECOVERY = {
    "OMNIVOX_QUEUE_HEARTBEAT": "0.5",
    "OMNIVOX_QUEUE_STALLED_AFTER": "5",
    "OMNIVOX_DELIVERY_LEASE": "5",
}


def telegram_env(api: FakeBotApi, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_FILE_BASE_URL": api.base_file_url,
        "TELEGRAM_RATE_LIMITER": "false",
        "OMNIVOX_DATABASE_URL": database_url,
        "OMNIVOX_DATA_DIR": str(tmp_path),
        "OMNIVOX_WARM_ENGINES": "false",
        "OMNIVOX_LOG_LEVEL": "WARNING",
        **FAST_RECOVERY,
    }


def _drain(process: subprocess.Popen[str], into: list[str]) -> None:
    """Keep reading the child's output so a full pipe never blocks it."""
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line)


@dataclass
class Cluster:
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    output: dict[str, list[str]] = field(default_factory=dict)

    async def start(self, name: str, role: str, port: int = 0, **extra: str) -> int:
        port = port or free_port()
        env = {**self.env, "OMNIVOX_ROLE": role, "OMNIVOX_PORT": str(port), **extra}
        process = await asyncio.to_thread(start_omnivox, env, 60.0)
        self.processes[name], self.ports[name] = process, port
        lines = self.output.setdefault(name, [])
        threading.Thread(target=_drain, args=(process, lines), daemon=True).start()
        return port

    async def kill(self, name: str) -> None:
        await asyncio.to_thread(kill_hard, self.processes.pop(name))

    async def stop_all(self) -> None:
        for process in self.processes.values():
            await asyncio.to_thread(stop, process)
        self.processes.clear()

    def logs(self) -> str:
        return "".join(
            f"--- {name}\n{''.join(lines[-200:])}" for name, lines in self.output.items()
        )
