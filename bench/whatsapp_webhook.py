"""How fast omnivox acknowledges signed WhatsApp webhooks, under load.

omnivox runs in its own process (tests/fakes/serve.py: fake engines, a real
SQLite file) with WhatsApp pointed at a fake Graph server in this process,
which also takes the replies. Signed text deliveries go to 127.0.0.1 at
several concurrency levels; each level is bounded in requests and seconds.
Meta wants a quick 200, so the figure that matters is p99 acknowledgement
time (target ≤ 50 ms). A second run puts the same load on the webhook route
alone, with an in-memory sink, to tell the adapter's share from the inbox's.
Prints a table; writes bench/results/whatsapp_webhook.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from adapters.whatsapp.signature import HEADER, sign  # noqa: E402
from tests.fakes.graph_server import FakeGraph  # noqa: E402

SECRET = "bench-app-secret"
TARGET_P99_MS = 50.0
RESULTS = REPO / "bench" / "results" / "whatsapp_webhook.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def delivery(n: int, users: int) -> bytes:
    sender = f"1555{n % users:07d}"
    message = {
        "from": sender,
        "id": f"wamid.BENCH{n:08d}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": f"message {n}"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "1"},
        "contacts": [{"profile": {"name": f"user {n % users}"}, "wa_id": sender}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


class MemorySink:
    """Stores nothing durable: isolates the route's own cost (signature, parse, 200)."""

    def __init__(self) -> None:
        self.count = 0

    async def accept(self, message: Any) -> Any:
        from bot.ports.store import Accepted

        self.count += 1
        return Accepted(id=self.count)

    async def record_status(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def shown(self, *args: Any) -> None:
        return None

    async def record_feedback(self, *args: Any) -> bool:
        return False

    async def last_incoming_at(self, *args: Any) -> None:
        return None


async def serve_route_only(port: int) -> None:
    """The webhook route alone, in this process, until SIGTERM."""
    from aiohttp import web

    from adapters.whatsapp.adapter import WhatsAppAdapter
    from tests.support.settings import make_settings

    settings = make_settings(
        whatsapp_app_secret=SECRET, whatsapp_access_token="x", whatsapp_phone_number_id="1"
    )
    sink = MemorySink()
    adapter = WhatsAppAdapter(settings.whatsapp, sink, sink, limits=settings.limits)
    app = web.Application()
    app.add_routes(adapter.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(f"READY {port}", flush=True)
    await stop.wait()
    await runner.cleanup()


async def start_route_only() -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve-route-only",
        str(port),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await wait_ready(proc)
    return proc, port


async def wait_ready(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    async with asyncio.timeout(120):
        while not (line := await proc.stdout.readline()).startswith(b"READY"):
            if not line:
                raise RuntimeError("the server exited before it was ready")


async def start_omnivox(graph: FakeGraph, workdir: Path) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        "OMNIVOX_PORT": str(port),
        "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/omnivox.db",
        "OMNIVOX_DATA_DIR": str(workdir),
        "OMNIVOX_WARM_ENGINES": "false",
        "OMNIVOX_LOG_LEVEL": "WARNING",
        "OMNIVOX_RATE_LIMIT_PER_MINUTE": "100000",
        "WHATSAPP_ACCESS_TOKEN": graph.token,
        "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "bench",
        "WHATSAPP_GRAPH_BASE_URL": graph.base_url,
        "WHATSAPP_API_VERSION": graph.version,
        "TELEGRAM_BOT_TOKEN": "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.serve",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await wait_ready(proc)
    return proc, port


async def level(
    http: aiohttp.ClientSession,
    url: str,
    *,
    concurrency: int,
    requests: int,
    seconds: float,
    start_at: int,
    users: int,
) -> dict[str, Any]:
    """`requests` deliveries by `concurrency` workers, stopping early after `seconds`."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(start_at, start_at + requests))
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal failures
        for n in counter:
            if time.monotonic() > deadline:
                return
            body = delivery(n, users)
            headers = {HEADER: sign(SECRET.encode(), body), "Content-Type": "application/json"}
            began = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                ok = resp.status == 200
            latencies.append(time.perf_counter() - began)
            failures += not ok

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    return {
        "concurrency": concurrency,
        "requests": len(ms),
        "failures": failures,
        "per_second": round(len(ms) / wall, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 2),
        "max_ms": round(ms[-1], 2),
    }


async def load(port: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    rows = []
    connector = aiohttp.TCPConnector(limit=max(args.concurrency))
    async with aiohttp.ClientSession(connector=connector) as http:
        sent = 0
        for c in args.concurrency:
            rows.append(
                await level(
                    http,
                    url,
                    concurrency=c,
                    requests=args.requests,
                    seconds=args.seconds,
                    start_at=sent,
                    users=args.users,
                )
            )
            sent += args.requests
    return rows


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(20):
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    graph = FakeGraph()
    await graph.start()
    try:
        with tempfile.TemporaryDirectory(prefix="omnivox-bench-") as tmp:
            proc, port = await start_omnivox(graph, Path(tmp))
            try:
                full = await load(port, args)
                replied_during_load = len(graph.sent)
            finally:
                await stop(proc)
    finally:
        await graph.stop()
    proc, port = await start_route_only()
    try:
        route_only = await load(port, args)
    finally:
        await stop(proc)
    return {
        "benchmark": "whatsapp_webhook",
        "target_p99_ms": TARGET_P99_MS,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "users": args.users,
        "full_app": full,
        "route_only": route_only,
        "replies_sent_while_loading": replied_during_load,
        "worst_p99_ms": max(r["p99_ms"] for r in full),
        "meets_target": all(r["p99_ms"] <= TARGET_P99_MS and not r["failures"] for r in full),
    }


def print_table(result: dict[str, Any]) -> None:
    print("WhatsApp webhook acknowledgement: signed text deliveries → 200")
    print(
        f"{'setup':<24} {'conc':>4} {'requests':>8} {'fail':>4} {'acks/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for setup, key in (
        ("full app (SQLite inbox)", "full_app"),
        ("route only (memory)", "route_only"),
    ):
        for r in result[key]:
            print(
                f"{setup:<24} {r['concurrency']:>4} {r['requests']:>8} {r['failures']:>4} "
                f"{r['per_second']:>8} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['p99_ms']:>7} "
                f"{r['max_ms']:>7}"
            )
    verdict = "meets" if result["meets_target"] else "misses"
    print(
        f"worst p99 {result['worst_p99_ms']} ms: {verdict} the {TARGET_P99_MS:.0f} ms target; "
        f"{result['replies_sent_while_loading']} replies went out meanwhile"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--requests", type=int, default=400, help="per concurrency level")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level, at most")
    parser.add_argument("--users", type=int, default=200, help="distinct senders")
    parser.add_argument("--serve-route-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_route_only:
        asyncio.run(serve_route_only(args.serve_route_only))
        return
    result = asyncio.run(run(args))
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
