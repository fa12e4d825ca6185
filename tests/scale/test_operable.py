"""/metrics and /healthz: on SQLite all in one, and a gateway and a worker on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bot.app import serving
from bot.config import Settings
from tests.fakes.engines import fake_engines
from tests.support.ports import free_port
from tests.support.settings import make_settings


def _settings(url: str, tmp_path: Path, **more: object) -> Settings:
    return make_settings(database_url=url, data_dir=str(tmp_path), port=free_port(),
                         warm_engines=False, **more)  # fmt: skip


async def _get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


async def _answered(port: int, chat: str, text: str) -> None:
    base = f"http://127.0.0.1:{port}/api/chats/{chat}/messages"
    async with aiohttp.ClientSession() as session:
        async with session.post(base, data={"text": text}) as response:
            assert response.status == 202
        for _ in range(200):
            async with session.get(base) as response:
                listed = await response.json()
            if any(m["direction"] == "out" and m["state"] == "delivered" for m in listed):
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text!r}")


def _value(page: str, name: str) -> float:
    for line in page.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not on the page")


async def test_metrics_count_the_backlog_the_stages_and_the_replies(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = _settings(sqlite_url, tmp_path)
    async with serving(settings, fake_engines()):
        port = settings.server.port
        await _answered(port, "m1", "hello")
        status, page = await _get(port, "/metrics")
    assert status == 200
    assert _value(page, "omnivox_inbox_unanswered") == 0
    assert _value(page, 'omnivox_replies{state="delivered"}') >= 1
    assert _value(page, 'omnivox_stage_seconds_count{stage="generate"}') >= 1
    assert _value(page, 'omnivox_stage_seconds_count{stage="deliver"}') >= 1
    assert "omnivox_queue_waiting" in page  # declared; no queue on SQLite, so it stays 0


async def test_a_gateway_and_a_worker_answer_the_web_chat_and_report_the_queue(
    pg_url: str, tmp_path: Path
) -> None:
    gateway_settings = _settings(pg_url, tmp_path)
    worker_settings = _settings(pg_url, tmp_path)
    async with (
        serving(gateway_settings, fake_engines(), role="gateway") as gateway,
        serving(worker_settings, fake_engines(), role="worker"),
    ):
        port = gateway_settings.server.port
        await _answered(port, "scaled", "hello from afar")
        status, body = await _get(port, "/healthz")
        assert status == 200 and '"queue": true' in body
        status, body = await _get(worker_settings.server.port, "/healthz")
        assert status == 200 and '"worker": true' in body
        status, page = await _get(port, "/metrics")
        assert status == 200 and _value(page, "omnivox_queue_waiting") == 0
        assert gateway.worker is None and gateway.queue is not None
        await gateway.queue.close()  # the queue goes away
        status, body = await _get(port, "/healthz")
    assert status == 503 and '"queue": false' in body
