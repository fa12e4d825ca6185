"""What omnivox itself costs on Telegram, measured against a fake Bot API and a fake LLM.

`omnivox run` runs as its own process with only the remote (OpenAI-compatible) chat model
configured; this process hosts the fake Bot API (tests/fakes/telegram_server.py) and an LLM
server that answers 40 tokens after 200 ms. Engines are not warmed at start; one message is
answered before measuring, so the figures are the steady state (the first message alone
pays lazy imports and loading the text-language detector). Reported:

- overhead per streamed reply: update pushed → final text on Telegram, minus the LLM's time
  (30 messages, one at a time, each in its own chat);
- CPU of the omnivox process per answered message, Bot API calls per reply (chat action
  included), peak RSS (VmHWM);
- 50 chats × 4 messages pushed at once (new messages do not interrupt): time until all 200
  are answered, messages/s, answers in order per chat — with the flood limiter off
  (capacity) and on (then the highest call rate in any second, overall and per chat).

Prints a table; writes bench/results/telegram_bridge.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.llm_server import FakeLLMServer  # noqa: E402
from tests.fakes.telegram_server import Call, FakeBotApi  # noqa: E402

RESULTS = REPO / "bench" / "results" / "telegram_bridge.json"
TOKENS = 40
LLM_DELAY = 0.2
SEQUENTIAL = 30
CHATS, PER_CHAT = 50, 4
CPU_GRACE = 0.25  # after the answer is out: long enough to record it as delivered
REPLY_METHODS = ("sendMessage", "editMessageText", "sendVoice", "sendDocument")
TARGETS = {
    "overhead_p50_ms": "≤ 10",
    "cpu_ms_per_message": "≤ 8",
    "api_calls_per_reply": "≤ 3",
    "peak_rss_mb": "≤ 150",
    "burst_msgs_per_s_limiter_off": "≥ 55",
}


class SlowStartLLM(FakeLLMServer):
    """Waits LLM_DELAY, then streams TOKENS tokens at once; remembers each request's span."""

    spans: list[tuple[float, float]]

    async def _stream(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        began = time.monotonic()
        await asyncio.sleep(LLM_DELAY)
        response = await super()._stream(request, body)
        self.spans.append((began, time.monotonic()))
        return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user_message(chat: int, message_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": f"User {chat}", "language_code": "en"}
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private", "first_name": user["first_name"]},
        "from": user,
        "text": text,
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def profiled(limiter: bool) -> list[str]:
    """With BENCH_PROFILE=path, omnivox runs under cProfile and writes its stats to
    path.limiter-off and path.limiter-on."""
    path = os.environ.get("BENCH_PROFILE")
    suffix = "on" if limiter else "off"
    return ["-m", "cProfile", "-o", f"{path}.limiter-{suffix}"] if path else []


class Omnivox:
    """`omnivox run` in a child process, pointed at the fakes."""

    def __init__(self, api: FakeBotApi, llm: FakeLLMServer, workdir: Path, limiter: bool) -> None:
        self.port = free_port()
        self.limiter = limiter
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_FILE_BASE_URL": api.base_file_url,
            "TELEGRAM_RATE_LIMITER": str(limiter).lower(),
            "OMNIVOX_LLM": "openai",
            "OMNIVOX_LLM_BASE_URL": llm.base_url,
            "OMNIVOX_LLM_API_KEY": "bench",
            "OMNIVOX_LLM_MODEL": llm.model,
            "OMNIVOX_LLM_MAX_TOKENS": str(TOKENS + 10),
            "OMNIVOX_WARM_ENGINES": "false",
            "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'omnivox.db'}",
            "OMNIVOX_PORT": str(self.port),
            "OMNIVOX_LOG_LEVEL": "WARNING",
            "OMNIVOX_NEW_MESSAGE_INTERRUPTS": "false",
            "OMNIVOX_MAX_CONCURRENT_CHATS": str(CHATS),
            "OMNIVOX_RATE_LIMIT_PER_MINUTE": "60",
        }
        self.process: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> Omnivox:
        self.process = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, *profiled(self.limiter), "-m", "bot.cli", "run"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("omnivox did not come up")

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        await asyncio.to_thread(self.process.wait, 20)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def replies(api: FakeBotApi) -> list[Call]:
    return [c for c in api.calls if c.method in REPLY_METHODS]


def answered_ids(api: FakeBotApi) -> dict[int, list[int]]:
    """chat → the user message ids its answers quote, in the order they were sent."""
    per_chat: dict[int, list[int]] = defaultdict(list)
    for call in api.calls_of("sendMessage"):
        quoted = (call.params.get("reply_parameters") or {}).get("message_id")
        if quoted is not None:
            per_chat[int(call.params["chat_id"])].append(int(quoted))
    return per_chat


async def settle(api: FakeBotApi, expected: int, within: float) -> float:
    """Wait until `expected` answers went out and calls stopped; the last reply's time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        done = sum(len(v) for v in answered_ids(api).values()) >= expected
        quiet = not api.calls or time.monotonic() - api.calls[-1].at > 1.5
        if done and quiet:
            break
        await asyncio.sleep(0.05)
    sent = replies(api)
    return sent[-1].at if sent else time.monotonic()


async def answered_then(api: FakeBotApi, expected: int, grace: float, within: float) -> None:
    """Until `expected` answers went out and no call came for `grace` (the bookkeeping
    after sending is done by then)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        done = sum(len(v) for v in answered_ids(api).values()) >= expected
        if done and time.monotonic() - api.calls[-1].at >= grace:
            break
        await asyncio.sleep(0.01)


async def warm_up(api: FakeBotApi) -> None:
    """One message answered before anything is measured: what the first message alone
    pays (lazy imports, the text-language detector's models) stays out of the figures."""
    api.push({"message": user_message(1, 1, "Hello, how are you today?")})
    await settle(api, 1, within=60)
    api.calls.clear()


async def sequential(api: FakeBotApi, llm: SlowStartLLM, omnivox: Omnivox) -> dict[str, Any]:
    overheads: list[float] = []
    cpu = 0.0
    for n in range(SEQUENTIAL):
        chat = 10_000 + n
        spans_before, calls_before = len(llm.spans), len(api.calls)
        # CPU is counted from the push until the answer is out and recorded (CPU_GRACE
        # later), not over settle()'s quiet period, which is idle time between messages.
        cpu_before = cpu_seconds(omnivox.pid)
        pushed_at = time.monotonic()
        api.push({"message": user_message(chat, 1, f"question number {n}")})
        await answered_then(api, n + 1, CPU_GRACE, within=30)
        cpu += cpu_seconds(omnivox.pid) - cpu_before
        final_at = await settle(api, n + 1, within=30)
        began, ended = llm.spans[spans_before]
        overheads.append((final_at - pushed_at) - (ended - began))
        assert len(api.calls) > calls_before
    work = [c for c in api.calls if c.method not in ("getUpdates", "getMe", "setMyCommands",
                                                     "deleteWebhook", "download")]  # fmt: skip
    return {
        "overhead_p50_ms": round(statistics.median(overheads) * 1000, 1),
        "overhead_p90_ms": round(statistics.quantiles(overheads, n=10)[-1] * 1000, 1),
        "cpu_ms_per_message": round(cpu / SEQUENTIAL * 1000, 2),
        "api_calls_per_reply": round(len(work) / SEQUENTIAL, 2),
        "calls_by_method": {m: sum(c.method == m for c in work) for m in {c.method for c in work}},
    }


def max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def burst(api: FakeBotApi, omnivox: Omnivox) -> dict[str, Any]:
    began = time.monotonic()
    cpu_before = cpu_seconds(omnivox.pid)
    for n in range(PER_CHAT):
        for chat in range(CHATS):
            api.push({"message": user_message(20_000 + chat, 100 + n, f"message {n}")})
    last = await settle(api, CHATS * PER_CHAT, within=180)
    elapsed = last - began
    per_chat = answered_ids(api)
    answered = sum(len(v) for v in per_chat.values())
    in_order = all(v == sorted(v) and len(v) == len(set(v)) for v in per_chat.values())
    counted = [c for c in api.calls if "chat_id" in c.params]
    messages = [c for c in counted if c.method.startswith("send") and c.method != "sendChatAction"]
    by_chat: dict[Any, list[float]] = defaultdict(list)
    for call in messages:
        by_chat[call.params["chat_id"]].append(call.at)
    return {
        "answered": answered,
        "in_order_per_chat": in_order,
        "seconds": round(elapsed, 2),
        "msgs_per_s": round(answered / elapsed, 1),
        "cpu_ms_per_message": round(
            (cpu_seconds(omnivox.pid) - cpu_before) / max(answered, 1) * 1000, 2
        ),
        "max_calls_in_any_second": max_in_window([c.at for c in counted]),
        "max_messages_per_chat_in_any_second": max(max_in_window(t) for t in by_chat.values()),
        "refusals": sum("faster than I can" in str(c.params.get("text", "")) for c in messages),
    }


async def run(limiter: bool, llm: SlowStartLLM, *, with_sequential: bool) -> dict[str, Any]:
    api = await FakeBotApi().start()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            async with Omnivox(api, llm, Path(workdir), limiter) as omnivox:
                await api.wait_for("getUpdates", within=30)
                await warm_up(api)
                result: dict[str, Any] = {}
                if with_sequential:
                    result |= await sequential(api, llm, omnivox)
                    api.calls.clear()
                result["burst"] = await burst(api, omnivox)
                result["peak_rss_mb"] = round(peak_rss_mb(omnivox.pid), 1)
                result["protocol_violations"] = len(api.rejected)
                return result
    finally:
        await api.stop()


async def main() -> None:
    llm = SlowStartLLM(reply=" ".join(f"word{i}" for i in range(TOKENS)))
    llm.spans = []
    await llm.start()
    try:
        off = await run(False, llm, with_sequential=True)
        on = await run(True, llm, with_sequential=False)
    finally:
        await llm.stop()
    figures = {
        "overhead_p50_ms": off["overhead_p50_ms"],
        "cpu_ms_per_message": off["cpu_ms_per_message"],
        "api_calls_per_reply": off["api_calls_per_reply"],
        "peak_rss_mb": max(off["peak_rss_mb"], on["peak_rss_mb"]),
        "burst_msgs_per_s_limiter_off": off["burst"]["msgs_per_s"],
    }
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "llm": {"tokens": TOKENS, "first_token_after_s": LLM_DELAY},
        "figures": figures,
        "targets": TARGETS,
        "limiter_off": off,
        "limiter_on": on,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"{'figure':34} {'measured':>10}  target")
    for name, value in figures.items():
        print(f"{name:34} {value:>10}  {TARGETS[name]}")
    print(f"{'overhead p90 ms':34} {off['overhead_p90_ms']:>10}")
    for label, result in (("limiter off", off), ("limiter on", on)):
        b = result["burst"]
        print(f"50x4 {label:12} answered {b['answered']}/200 in {b['seconds']} s "
              f"({b['msgs_per_s']} msg/s), in order: {b['in_order_per_chat']}, "
              f"max {b['max_calls_in_any_second']} calls/s, "
              f"max {b['max_messages_per_chat_in_any_second']} msg/s per chat, "
              f"refusals {b['refusals']}")  # fmt: skip
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    asyncio.run(main())
