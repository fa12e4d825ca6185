"""Two gateways, one polls Telegram: kill it and the other takes over, losing and repeating
no update."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.fakes.telegram_server import FakeBotApi
from tests.scale.cluster import Cluster, telegram_env
from tests.support.telegram_payloads import load

BATCH = 12


def _push(api: FakeBotApi, first: int) -> None:
    for n in range(first, first + BATCH):
        update = load("text", text=f"poll-{n}", message_id=500 + n)
        update["message"]["from"]["id"] = update["message"]["chat"]["id"] = 8000 + n % 4
        api.push(update)


async def _answered(api: FakeBotApi, count: int, within: float) -> list[str]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        texts = [str(c.params.get("text", "")).strip() for c in api.calls_of("sendMessage")]
        if len(texts) >= count:
            return texts
        await asyncio.sleep(0.2)
    return texts


async def test_the_polling_leader_killed_another_gateway_takes_over(
    api: FakeBotApi, pg_url: str, tmp_path: Path
) -> None:
    env = {**telegram_env(api, pg_url, tmp_path), "OMNIVOX_LEADER_RETRY": "0.3",
           "OMNIVOX_NEW_MESSAGE_INTERRUPTS": "false"}  # fmt: skip
    cluster = Cluster(env)
    try:
        await cluster.start("gateway-a", "gateway")
        await api.wait_for("getUpdates", within=20)  # a leads
        await cluster.start("gateway-b", "gateway")
        await cluster.start("worker", "worker")
        _push(api, 0)
        await _answered(api, BATCH // 2, within=30)
        polls_before = len(api.calls_of("getUpdates"))
        await cluster.kill("gateway-a")  # with updates still coming
        _push(api, BATCH)
        texts = await _answered(api, 2 * BATCH, within=60)
        await asyncio.sleep(2.0)  # time for a repeat to show up, if there were one
        texts = [str(c.params.get("text", "")).strip() for c in api.calls_of("sendMessage")]
        assert len(api.calls_of("getUpdates")) > polls_before  # b polls now
    finally:
        await cluster.stop_all()
    print(cluster.logs())
    assert sorted(texts) == sorted(f"You said: poll-{n}" for n in range(2 * BATCH))
