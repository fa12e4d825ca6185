"""1 gateway + 3 workers on PostgreSQL: every message answered once, in order, through a
worker's SIGKILL and restart, with a third of the updates delivered twice."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

from tests.fakes.telegram_server import FakeBotApi
from tests.scale.cluster import Cluster, telegram_env
from tests.support.ports import free_port
from tests.support.telegram_payloads import load

CHATS = 30
PER_CHAT = 10
REDELIVERED = 0.3


def _update(chat: int, n: int) -> dict[str, object]:
    user = 7000 + chat
    update = load("text", text=f"c{chat}-m{n}", message_id=100 + n)
    update["message"]["from"]["id"] = user  # type: ignore[index]
    update["message"]["chat"]["id"] = user  # type: ignore[index]
    return update


async def _post(session: aiohttp.ClientSession, url: str, secret: str, update: object) -> None:
    """As Telegram does: the same update again until it is acknowledged."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    for _ in range(50):
        try:
            async with session.post(url, json=update, headers=headers) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"the gateway never acknowledged {update}")


def _answers(api: FakeBotApi) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for call in api.calls_of("sendMessage"):
        text = str(call.params.get("text", ""))
        found[int(call.params["chat_id"])].append(text.strip())
    return found


async def test_every_message_answered_once_in_order_through_a_worker_kill(
    api: FakeBotApi, pg_url: str, tmp_path: Path
) -> None:
    rng = random.Random(11)
    gateway_port = free_port()
    env = {**telegram_env(api, pg_url, tmp_path), "OMNIVOX_NEW_MESSAGE_INTERRUPTS": "false"}
    cluster = Cluster(env)
    try:
        await cluster.start(
            "gateway", "gateway", gateway_port,
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{gateway_port}/webhooks/telegram",
        )  # fmt: skip
        # the worker to be killed writes slowly, so the kill finds it mid-answer
        await cluster.start("worker-0", "worker", FAKE_CHAT_DELAY="2")
        for n in (1, 2):
            await cluster.start(f"worker-{n}", "worker", FAKE_CHAT_DELAY="0.15")
        assert api.webhook is not None
        url = str(api.webhook["url"])
        secret = str(api.webhook["secret_token"])
        sent = 0
        killed = asyncio.Event()

        async def chat(session: aiohttp.ClientSession, number: int) -> None:
            nonlocal sent
            for n in range(PER_CHAT):
                update = {**_update(number, n), "update_id": number * 1000 + n}
                await _post(session, url, secret, update)
                if rng.random() < REDELIVERED:
                    await _post(session, url, secret, {**update, "update_id": update["update_id"]})
                sent += 1
                if sent == CHATS * PER_CHAT // 3:
                    killed.set()
                await asyncio.sleep(rng.uniform(0, 0.3))

        async def killer() -> None:
            await killed.wait()
            await cluster.kill("worker-0")
            await asyncio.sleep(1.0)
            await cluster.start("worker-0", "worker", FAKE_CHAT_DELAY="0.15")

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(killer(), *(chat(session, c) for c in range(CHATS)))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if sum(len(a) for a in _answers(api).values()) >= CHATS * PER_CHAT:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # time for a duplicate to show up, if there were one
    finally:
        await cluster.stop_all()
    answers = _answers(api)
    print(cluster.logs())  # shown when the test fails
    for number in range(CHATS):
        expected = [f"You said: c{number}-m{n}" for n in range(PER_CHAT)]
        assert answers[7000 + number] == expected, number
