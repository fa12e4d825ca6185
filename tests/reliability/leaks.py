"""Looking for secrets where they could show: the log (DEBUG included), the replies,
/healthz and /metrics, `omnivox doctor` — by grepping for the values themselves while
every channel works and fails (downloads, send errors, an expired WhatsApp token, a bad
signature, right and wrong verify tokens, a Telegram token that is rejected)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from adapters.whatsapp.adapter import WEBHOOK_PATH
from tests.reliability.rig import Chat, Rig, Sent, telegram_update
from tests.support.corpus import REPO
from tests.support.media import voice_note
from tests.support.whatsapp_bodies import APP_SECRET, VERIFY_TOKEN, signed, wa_body, wa_value

LLM_KEY = "sk-reliability-llm-key-5f3a9c"
WEBHOOK_SECRET = "whsec-reliability-7d21e0"
REJECTED_TOKEN = "123456:AAReliabilityRejectedToken"


def secrets(rig: Rig) -> dict[str, str]:
    return {
        "telegram token": rig.api.token.partition(":")[2],
        "whatsapp access token": rig.graph.token,
        "whatsapp app secret": APP_SECRET,
        "whatsapp verify token": VERIFY_TOKEN,
        "llm api key": LLM_KEY,
        "telegram webhook secret": WEBHOOK_SECRET,
        "rejected telegram token": REJECTED_TOKEN.partition(":")[2],
    }


async def _traffic(rig: Rig, http: aiohttp.ClientSession) -> list[str]:
    """Work and failures on every channel; returns every text shown to someone."""
    items = [Sent(n, Chat(channel, n)) for n, channel in enumerate(("web", "telegram",
                                                                      "whatsapp"))]  # fmt: skip
    rig.api.fail("sendMessage", 500, times=1)
    rig.graph.fail("messages", 190, times=1)  # the access token expired, once
    for item in items:
        await rig.send(item)
    rig.api.add_file("secret-voice", voice_note())
    update = telegram_update(Sent(3, Chat("telegram", 1)))
    del update["message"]["text"]
    update["message"]["voice"] = {"file_id": "secret-voice", "file_unique_id": "u", "duration": 2}
    rig.api.push(update)
    raw, headers = signed(wa_body(wa_value([])))
    async with http.post(rig.base + WEBHOOK_PATH, data=raw,
                         headers={**headers, "X-Hub-Signature-256": "sha256=00"}) as response:
        assert response.status == 403
    for token in (VERIFY_TOKEN, "wrong"):
        query = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}
        async with http.get(rig.base + WEBHOOK_PATH, params=query) as response:
            await response.read()
    await rig.settle(items, within=10, quiet=2)  # the expired token holds WhatsApp's reply
    shown = [json.dumps(c.params) for c in rig.api.calls]
    shown += [json.dumps(body) for body in rig.graph.sent]
    async with http.get(f"{rig.base}/api/chats/{items[0].chat.id}/messages") as response:
        shown.append(await response.text())
    for path in ("/healthz", "/metrics"):
        async with http.get(rig.base + path) as response:
            shown.append(f"{path} {response.status} {await response.text()}")
    return shown


async def _doctor(env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "doctor", cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return out.decode(errors="replace")


@dataclass
class Search:
    secrets: int
    places: dict[str, int]  # where looked → characters searched
    leaks: list[tuple[str, str]]  # (which secret, where)
    log: str
    doctor: str
    rejected: str


async def search(workdir: Path) -> Search:
    """omnivox at DEBUG, every channel working and failing; then grep for each secret."""
    env = {"OMNIVOX_LOG_LEVEL": "DEBUG", "OMNIVOX_LLM_API_KEY": LLM_KEY,
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}  # fmt: skip
    async with Rig(workdir, chat_delay=0, **env) as rig, aiohttp.ClientSession() as http:
        shown = await _traffic(rig, http)
        assert rig.child is not None
        doctor = await _doctor(rig.env())
        rejected = await _doctor({**rig.env(), "TELEGRAM_BOT_TOKEN": REJECTED_TOKEN})
        found = secrets(rig)
    log = rig.child.log_text()
    places = {"log (DEBUG)": log, "replies, /healthz, /metrics": "\n".join(shown),
              "omnivox doctor": doctor, "omnivox doctor (token rejected)": rejected}  # fmt: skip
    leaks = [(what, where) for what, value in found.items()
             for where, text in places.items() if value in text]  # fmt: skip
    return Search(len(found), {k: len(v) for k, v in places.items()}, leaks, log, doctor,
                  rejected)  # fmt: skip
