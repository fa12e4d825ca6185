"""Gateways and workers on PostgreSQL, against SQLite all in one: what scaling out buys.

Every omnivox process is a child process (`omnivox gateway`, `omnivox worker`, or
`omnivox run`), with remote engines only: chat through an OpenAI-compatible fake LLM
that answers 40 tokens after 200 ms; speech and voice pointed at OpenAI-compatible
endpoints (text messages do not call them). This process hosts the fake Bot API and
posts the updates to the gateway's Telegram webhook, as Telegram does.

Load: CHATS chats × PER_CHAT messages, each chat's messages posted one after the other
as fast as they are acknowledged, all chats at once. Reported per set-up: messages/s
(first post → last answer), p50/p95 from the acknowledgement to the answer reaching the
Bot API, CPU of all omnivox processes per message, answers lost and doubled, whether each
chat's answers came in order. PostgreSQL with 1, 2 and 4 workers; 2 workers with one
SIGKILLed a third of the way in and restarted; SQLite `omnivox run` for comparison.

Prints a table; writes bench/results/scale.json. Needs PostgreSQL
(OMNIVOX_TEST_POSTGRES_URL, default the local server) and the postgres extra.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.telegram_bridge import (  # noqa: E402
    LLM_DELAY,
    TOKENS,
    SlowStartLLM,
    cpu_seconds,
    free_port,
    user_message,
)
from tests.fakes.telegram_server import FakeBotApi  # noqa: E402
from tests.support.postgres import Databases, unavailable  # noqa: E402

RESULTS = REPO / "bench" / "results" / "scale.json"
CHATS, PER_CHAT = 60, 5
CONCURRENCY = 32  # jobs per worker, chats per all-in-one process


class Process:
    """One omnivox child process; its CPU is read from /proc while it lives."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.command, self.port = command, free_port()
        self.env = {**env, "OMNIVOX_PORT": str(self.port)}
        self.popen: subprocess.Popen[bytes] | None = None
        self.cpu_done = 0.0  # CPU of an earlier life (a killed worker)

    async def start(self) -> None:
        self.popen = await asyncio.to_thread(
            subprocess.Popen, [sys.executable, "-m", "bot.cli", self.command], cwd=REPO,
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    url = f"http://127.0.0.1:{self.port}/healthz"
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"omnivox {self.command} did not come up")

    def cpu(self) -> float:
        assert self.popen is not None
        return self.cpu_done + cpu_seconds(self.popen.pid)

    def kill(self) -> None:
        assert self.popen is not None
        self.cpu_done = self.cpu()
        self.popen.kill()
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(20)


def base_env(api: FakeBotApi, llm: SlowStartLLM, database_url: str, workdir: Path,
             webhook_port: int) -> dict[str, str]:  # fmt: skip
    return {
        **os.environ, "PYTHONPATH": str(REPO),
        "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_FILE_BASE_URL": api.base_file_url, "TELEGRAM_RATE_LIMITER": "false",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/webhooks/telegram",
        "OMNIVOX_LLM": "openai", "OMNIVOX_LLM_BASE_URL": llm.base_url,
        "OMNIVOX_LLM_API_KEY": "bench", "OMNIVOX_LLM_MODEL": llm.model,
        "OMNIVOX_LLM_MAX_TOKENS": str(TOKENS + 10),
        "OMNIVOX_ASR": "openai", "OMNIVOX_ASR_BASE_URL": "http://127.0.0.1:9/v1",
        "OMNIVOX_TTS": "openai", "OMNIVOX_TTS_BASE_URL": "http://127.0.0.1:9/v1",
        "OMNIVOX_WARM_ENGINES": "false", "OMNIVOX_DATABASE_URL": database_url,
        "OMNIVOX_DATA_DIR": str(workdir), "OMNIVOX_LOG_LEVEL": "ERROR",
        "OMNIVOX_NEW_MESSAGE_INTERRUPTS": "false", "OMNIVOX_RATE_LIMIT_PER_MINUTE": "600",
        "OMNIVOX_MAX_CONCURRENT_CHATS": str(CONCURRENCY),
        "OMNIVOX_WORKER_CONCURRENCY": str(CONCURRENCY),
        "OMNIVOX_QUEUE_HEARTBEAT": "1", "OMNIVOX_QUEUE_STALLED_AFTER": "5",
        "OMNIVOX_DELIVERY_LEASE": "10",
    }  # fmt: skip


async def post_all(api: FakeBotApi, kill_at: int | None, on_kill: Any) -> dict[int, float]:
    """Every chat's messages, each posted once the one before was acknowledged; returns
    when each message (by its id) was acknowledged."""
    assert api.webhook is not None
    url, secret = api.webhook["url"], api.webhook["secret_token"]
    acked: dict[int, float] = {}
    posted = 0

    async def chat(session: aiohttp.ClientSession, number: int) -> None:
        nonlocal posted
        for n in range(PER_CHAT):
            message_id = number * 100 + n
            update = {"update_id": message_id,
                      "message": user_message(30_000 + number, message_id, f"m{n}")}  # fmt: skip
            for _ in range(100):
                async with session.post(url, json=update, headers={
                        "X-Telegram-Bot-Api-Secret-Token": secret}) as response:  # fmt: skip
                    if response.status == 200:
                        break
                await asyncio.sleep(0.1)
            acked[message_id] = time.monotonic()
            posted += 1
            if kill_at is not None and posted == kill_at:
                await on_kill()

    connector = aiohttp.TCPConnector(limit=CHATS)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(chat(session, c) for c in range(CHATS)))
    return acked


def answers(api: FakeBotApi) -> dict[int, list[tuple[int, float]]]:
    """chat → (quoted message id, when) of each final answer, in the order sent."""
    found: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for call in api.calls_of("sendMessage"):
        quoted = (call.params.get("reply_parameters") or {}).get("message_id")
        if quoted is not None:
            found[int(call.params["chat_id"])].append((int(quoted), call.at))
    return found


async def measure(api: FakeBotApi, processes: list[Process], *,
                  kill: tuple[Process, int] | None = None) -> dict[str, Any]:  # fmt: skip
    total = CHATS * PER_CHAT
    cpu_before = sum(p.cpu() for p in processes)

    async def on_kill() -> None:
        assert kill is not None
        await asyncio.to_thread(kill[0].kill)
        await asyncio.sleep(1.0)
        await kill[0].start()

    began = time.monotonic()
    acked = await post_all(api, kill[1] if kill else None, on_kill)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if sum(len(v) for v in answers(api).values()) >= total:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # a late duplicate would show now
    found = answers(api)
    last = max((at for v in found.values() for _, at in v), default=time.monotonic())
    cpu = sum(p.cpu() for p in processes) - cpu_before
    first_answer: dict[int, float] = {}
    doubled = 0
    for sent in found.values():
        for quoted, at in sent:
            if quoted in first_answer:
                doubled += 1
            else:
                first_answer[quoted] = at
    latencies = [first_answer[m] - acked[m] for m in acked if m in first_answer]
    in_order = all([q for q, _ in v] == sorted(q for q, _ in v) for v in found.values())
    answered = len(first_answer)
    return {
        "messages": total, "answered": answered,
        "lost": total - answered, "doubled": doubled, "in_order_per_chat": in_order,
        "msgs_per_s": round(answered / (last - began), 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[-1] * 1000),
        "cpu_ms_per_message": round(cpu / max(answered, 1) * 1000, 2),
    }  # fmt: skip


async def postgres_run(llm: SlowStartLLM, databases: Databases, workers: int,
                       kill: bool = False) -> dict[str, Any]:  # fmt: skip
    api = await FakeBotApi().start()
    url = await asyncio.to_thread(databases.fresh)
    processes: list[Process] = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            gateway_port = free_port()
            env = base_env(api, llm, url, Path(workdir), gateway_port)
            gateway = Process("gateway", env)
            gateway.port, gateway.env["OMNIVOX_PORT"] = gateway_port, str(gateway_port)
            processes.append(gateway)
            await gateway.start()
            for _ in range(workers):
                worker = Process("worker", env)
                processes.append(worker)
                await worker.start()
            victim = (processes[1], CHATS * PER_CHAT // 3) if kill else None
            return await measure(api, processes, kill=victim)
    finally:
        for process in processes:
            await asyncio.to_thread(process.stop)
        databases.drop(url)
        await api.stop()


async def sqlite_run(llm: SlowStartLLM) -> dict[str, Any]:
    api = await FakeBotApi().start()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            port = free_port()
            url = f"sqlite+aiosqlite:///{workdir}/omnivox.db"
            process = Process("run", base_env(api, llm, url, Path(workdir), port))
            process.port, process.env["OMNIVOX_PORT"] = port, str(port)
            await process.start()
            try:
                return await measure(api, [process])
            finally:
                await asyncio.to_thread(process.stop)
    finally:
        await api.stop()


async def main() -> None:
    if (reason := unavailable()) is not None:
        print(f"bench/scale.py needs PostgreSQL: {reason}")
        raise SystemExit(1)
    llm = SlowStartLLM(reply=" ".join(f"word{i}" for i in range(TOKENS)))
    llm.spans = []
    await llm.start()
    databases = Databases()
    results: dict[str, Any] = {}
    try:
        results["sqlite all-in-one"] = await sqlite_run(llm)
        for workers in (1, 2, 4):
            results[f"postgres 1 gateway + {workers} worker(s)"] = await postgres_run(
                llm, databases, workers
            )
        results["postgres 1 gateway + 2 workers, one killed"] = await postgres_run(
            llm, databases, 2, kill=True
        )
    finally:
        databases.close()
        await llm.stop()
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load": {
            "chats": CHATS, "per_chat": PER_CHAT, "llm_tokens": TOKENS,
            "llm_first_token_s": LLM_DELAY, "jobs_per_worker": CONCURRENCY,
        },
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'set-up':44} {'msg/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms/msg':>10} "
          f"{'lost':>4} {'doubled':>7} in order")  # fmt: skip
    for name, r in results.items():
        print(f"{name:44} {r['msgs_per_s']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['cpu_ms_per_message']:>10} {r['lost']:>4} {r['doubled']:>7} "
              f"{r['in_order_per_chat']}")  # fmt: skip
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    asyncio.run(main())
