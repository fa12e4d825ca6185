"""The reliability rig: omnivox on all three channels, users writing, and a way to count.

Shared by `tests/reliability/` (CI sizes) and `bench/reliability.py` (full sizes). omnivox
runs as a real child process (`tests.fakes.serve`: the test-double engines, a real SQLite
file) with the web chat, Telegram (long polling against the fake Bot API) and WhatsApp
(signed webhooks, replies to the fake Graph API) all on. Users are spread over the three
channels; each message carries a marker (`m00042`) that the echoing fake model repeats, so
every reply names the message it answers. `tally()` then counts, per message, how many
replies it got (0 = lost, 2+ = doubled) and, per chat, whether the replies came in the
order the messages were sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from adapters.whatsapp.adapter import WEBHOOK_PATH
from tests.fakes.graph_server import FakeGraph
from tests.fakes.telegram_server import FakeBotApi
from tests.support.corpus import REPO
from tests.support.ports import free_port
from tests.support.whatsapp_bodies import (
    APP_SECRET,
    VERIFY_TOKEN,
    signed,
    wa_body,
    wa_message,
    wa_status,
    wa_value,
)

CHANNELS = ("web", "telegram", "whatsapp")
MARKER = re.compile(r"\bm(\d{5})\b")
START_WITHIN = 90.0  # seconds omnivox may take to say READY (a loaded CI machine)
RETRY_PAUSE = 0.2  # how soon a client tries again when the server is down or answered 5xx


@dataclass(frozen=True, slots=True)
class Chat:
    channel: str
    number: int

    @property
    def id(self) -> str:
        """The chat id as the platform names it."""
        if self.channel == "web":
            return f"rel-{self.number:03d}"
        if self.channel == "telegram":
            return str(710_000 + self.number)
        return f"1555{self.number:07d}"


@dataclass(frozen=True, slots=True)
class Sent:
    index: int
    chat: Chat

    @property
    def marker(self) -> str:
        return f"m{self.index:05d}"

    @property
    def text(self) -> str:
        return f"{self.marker} from {self.chat.channel} chat {self.chat.number}"


def conversation(messages: int, chats: int, seed: int) -> list[Sent]:
    """`messages` spread at random over `chats` chats, the chats spread over the channels."""
    rng = random.Random(seed)
    people = [Chat(CHANNELS[n % len(CHANNELS)], n) for n in range(chats)]
    order = [people[n % chats] for n in range(messages)]  # every chat gets some
    rng.shuffle(order)
    return [Sent(index, chat) for index, chat in enumerate(order)]


@dataclass
class Tally:
    """What came back. `lost`, `doubled` and `out_of_order` must be 0."""

    sent: int = 0
    answered: int = 0
    lost: int = 0
    doubled: int = 0
    out_of_order: int = 0
    redelivered: int = 0
    kills: int = 0
    crashes: int = 0
    seconds: float = 0.0
    per_channel: dict[str, int] = field(default_factory=dict)
    in_flight_at_kills: list[int] = field(default_factory=list)  # taken, not yet answered
    doubled_per_channel: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def count(sent: list[Sent], replies: dict[str, list[str]]) -> Tally:
    """`replies`: chat key → the reply texts in the order they reached the user."""
    tally = Tally(sent=len(sent))
    got: dict[int, int] = defaultdict(int)
    for texts in replies.values():
        seen: list[int] = []
        for text in texts:
            for found in MARKER.findall(text):
                index = int(found)
                got[index] += 1
                if got[index] == 1:
                    if seen and index < seen[-1]:
                        tally.out_of_order += 1
                    seen.append(index)
    for item in sent:
        n = got.get(item.index, 0)
        tally.answered += n > 0
        tally.lost += n == 0
        tally.doubled += max(0, n - 1)
        extra = tally.doubled_per_channel
        extra[item.chat.channel] = extra.get(item.chat.channel, 0) + max(0, n - 1)
        if n == 0:
            tally.missing.append(item.marker)
    for channel in CHANNELS:
        tally.per_channel[channel] = sum(1 for s in sent if s.chat.channel == channel)
    return tally


def chat_key(chat: Chat) -> str:
    return f"{chat.channel}:{chat.id}"


class Child:
    """omnivox in a child process; every life's output goes to one log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self.kills = 0
        self.crashes = 0

    async def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), **self.env}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.fakes.serve", cwd=REPO, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert self.proc.stdout is not None
        log = self.log_path.open("ab")
        async with asyncio.timeout(START_WITHIN):
            while True:
                line = await self.proc.stdout.readline()
                log.write(line)
                if not line:
                    log.close()
                    raise RuntimeError(f"omnivox exited before it was ready: {self.log_path}")
                if line.startswith(b"READY"):
                    break
        self._drain = asyncio.create_task(self._copy(self.proc.stdout, log))

    async def _copy(self, stream: asyncio.StreamReader, log: Any) -> None:
        try:
            while line := await stream.readline():
                log.write(line)
                log.flush()
        finally:
            log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no clean-up runs, as in a crash or a power cut."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
            self.kills += 1
        await self._drained()

    async def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._drained()

    async def _drained(self) -> None:
        if self._drain is not None:
            await asyncio.gather(self._drain, return_exceptions=True)
            self._drain = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Rig:
    """The fake platforms in this process, omnivox in a child, and the users' clients."""

    def __init__(self, workdir: Path, *, chat_delay: float = 0.2, **env: str) -> None:
        self.workdir = workdir
        self.api = FakeBotApi()
        self.graph = FakeGraph()
        self.port = free_port()
        self.chat_delay = chat_delay
        self.extra_env = env
        self.child: Child | None = None
        self.http: aiohttp.ClientSession | None = None
        self._reports: asyncio.Task[None] | None = None  # Meta's status reports
        self.redelivered = 0
        self.taken: list[Sent] = []  # what the platform or server took, in order
        self.in_flight: list[int] = []  # at each kill: taken but not yet answered

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "OMNIVOX_PORT": str(self.port),
            "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{self.workdir / 'omnivox.db'}",
            "OMNIVOX_DATA_DIR": str(self.workdir),
            "OMNIVOX_WARM_ENGINES": "false",
            "OMNIVOX_RATE_LIMIT_PER_MINUTE": "100000",
            "OMNIVOX_NEW_MESSAGE_INTERRUPTS": "false",  # one answer per message, to count
            "OMNIVOX_MAX_CONCURRENT_CHATS": "8",
            "TELEGRAM_BOT_TOKEN": self.api.token,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "TELEGRAM_FILE_BASE_URL": self.api.base_file_url,
            "TELEGRAM_RATE_LIMITER": "false",
            "TELEGRAM_REQUEST_TIMEOUT": "2",
            "WHATSAPP_ACCESS_TOKEN": self.graph.token,
            "WHATSAPP_PHONE_NUMBER_ID": self.graph.phone_number_id,
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "WHATSAPP_GRAPH_BASE_URL": self.graph.base_url,
            "WHATSAPP_API_VERSION": self.graph.version,
            "FAKE_CHAT_DELAY": str(self.chat_delay),
            **self.extra_env,
        }

    async def __aenter__(self) -> Rig:
        await self.api.start()
        await self.graph.start()
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self.child = Child(self.env(), self.workdir / "omnivox.log")
        await self.child.start()
        self._reports = asyncio.create_task(self._report_sends())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._reports is not None:
            self._reports.cancel()
        if self.child is not None:
            await self.child.stop()
        if self.http is not None:
            await self.http.close()
        await self.api.stop()
        await self.graph.stop()

    async def _report_sends(self) -> None:
        """Meta's "sent" report for each message the fake Graph API took, echoing the
        callback data it was sent with, as Meta does (tried again while omnivox is down)."""
        assert self.http is not None
        reported = 0
        while True:
            while reported < len(self.graph.sent):
                sent = self.graph.sent[reported]
                item = wa_status(sent["_wamid"], "sent", recipient=sent["to"],
                                 callback=sent.get("biz_opaque_callback_data"))  # fmt: skip
                raw, headers = signed(wa_body(wa_value(statuses=[item])))
                try:
                    async with self.http.post(self.base + WEBHOOK_PATH, data=raw,
                                              headers=headers) as response:  # fmt: skip
                        if response.status == 200:
                            reported += 1
                            continue
                except (aiohttp.ClientError, TimeoutError):
                    pass  # down (being killed, starting again): Meta tries again
                await asyncio.sleep(RETRY_PAUSE)
            await asyncio.sleep(0.05)

    # the users ------------------------------------------------------------------------

    async def send(self, item: Sent) -> None:
        """Deliver one message the way its platform does, trying until it is taken."""
        chat = item.chat
        if chat.channel == "telegram":
            self.api.push(telegram_update(item))
            self.taken.append(item)
            return
        while True:
            try:
                if await self._post(item):
                    self.taken.append(item)
                    return
            except (aiohttp.ClientError, TimeoutError):
                pass  # down (being killed, starting again): the client tries again
            await asyncio.sleep(RETRY_PAUSE)

    async def _post(self, item: Sent) -> bool:
        assert self.http is not None
        if item.chat.channel == "web":
            form = aiohttp.FormData({"text": item.text, "client_message_id": f"c{item.index}"})
            url = f"{self.base}/api/chats/{item.chat.id}/messages"
            async with self.http.post(url, data=form) as response:
                if response.status in (400, 413, 429):
                    raise AssertionError(f"{url}: {response.status} {await response.text()}")
                return response.status == 202
        raw, headers = signed(whatsapp_body(item))
        async with self.http.post(self.base + WEBHOOK_PATH, data=raw, headers=headers) as resp:
            return resp.status == 200

    async def write_all(
        self, items: list[Sent], *, gap: float, redeliver: float = 0.0, seed: int = 0
    ) -> None:
        """Each channel's users write in turn, `gap` seconds apart on average; a share
        `redeliver` of the messages (drawn at random) is delivered again later (same client
        id / message id / wamid), as clients and platforms do when unsure it arrived."""
        rng = random.Random(seed)
        again_of = set(rng.sample(range(len(items)), round(redeliver * len(items))))
        by_channel: dict[str, list[Sent]] = defaultdict(list)
        for item in items:
            by_channel[item.chat.channel].append(item)

        async def channel(queue: list[Sent], rng: random.Random) -> None:
            again: list[Sent] = []
            for item in queue:
                await self.send(item)
                if item.index in again_of:
                    again.append(item)
                if again and rng.random() < 0.5:
                    await self._again(again.pop(rng.randrange(len(again))))
                await asyncio.sleep(rng.uniform(0, 2 * gap))
            for item in again:
                await self._again(item)

        await asyncio.gather(*(
            channel(queue, random.Random(rng.random())) for queue in by_channel.values()
        ))  # fmt: skip

    async def _again(self, item: Sent) -> None:
        self.redelivered += 1
        await self.send(item)

    # what came back -------------------------------------------------------------------

    async def replies(self, items: Iterable[Sent]) -> dict[str, list[str]]:
        """Chat key → the reply texts that reached the user, in the order they did."""
        found = platform_replies(self.api, self.graph)
        for chat in {item.chat for item in items}:
            if chat.channel == "web":
                found[chat_key(chat)] = await self._web_replies(chat)
        return found

    async def _web_replies(self, chat: Chat) -> list[str]:
        assert self.http is not None
        url = f"{self.base}/api/chats/{chat.id}/messages"
        for _ in range(50):
            try:
                async with self.http.get(url) as response:
                    rows = await response.json()
                return [str(r["text"]) for r in rows
                        if r["direction"] == "out" and r["state"] == "delivered"]  # fmt: skip
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(RETRY_PAUSE)
        raise RuntimeError(f"the web chat did not answer {url}")

    async def settle(self, items: list[Sent], within: float, quiet: float = 2.0) -> Tally:
        """Wait until every message has a reply (or `within` passes), then `quiet` more
        seconds for any duplicate to show, and count."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            tally = count(items, await self.replies(items))
            if tally.lost == 0:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(quiet)
        tally = count(items, await self.replies(items))
        tally.redelivered = self.redelivered
        tally.in_flight_at_kills = self.in_flight
        if self.child is not None:
            tally.kills, tally.crashes = self.child.kills, self.child.crashes
        return tally

    async def keep_alive(self) -> None:
        """Restart omnivox if it died on its own (counted as a crash)."""
        assert self.child is not None
        if not self.child.alive:
            self.child.crashes += 1
            await self.child.start()


async def kill_loop(rig: Rig, kills: int, *, up: tuple[float, float], seed: int) -> None:
    """SIGKILL omnivox `kills` times, each after a random time up, and start it again."""
    rng = random.Random(seed)
    assert rig.child is not None
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(*up))
        await rig.keep_alive()
        taken = list(dict.fromkeys(rig.taken))
        rig.in_flight.append(count(taken, await rig.replies(taken)).lost)
        await rig.child.kill()
        await rig.child.start()


def platform_replies(api: FakeBotApi, graph: FakeGraph) -> dict[str, list[str]]:
    """What Telegram and WhatsApp users were sent, by chat key, in the order it arrived."""
    found: dict[str, list[str]] = defaultdict(list)
    for (chat_id, _mid), text in sorted(api.messages.items(), key=lambda kv: kv[0][1]):
        found[f"telegram:{chat_id}"].append(text)
    for sent in graph.sent:
        if sent.get("type") == "text":
            found[f"whatsapp:{sent['to']}"].append(sent["text"]["body"])
    return found


def telegram_update(item: Sent) -> dict[str, Any]:
    user = {"id": int(item.chat.id), "is_bot": False, "first_name": f"User{item.chat.number}"}
    chat = {"id": int(item.chat.id), "type": "private", "first_name": user["first_name"]}
    message = {"message_id": item.index + 1, "from": user, "chat": chat,
               "date": int(time.time()), "text": item.text}  # fmt: skip
    return {"message": message}


def whatsapp_body(item: Sent) -> dict[str, Any]:
    message = wa_message("text", f"wamid.REL{item.index:06d}", {"body": item.text},
                         sender=item.chat.id)  # fmt: skip
    return wa_body(wa_value([message], names={item.chat.id: f"User {item.chat.number}"}))


def summary(tally: Tally) -> str:
    data = tally.as_dict()
    data.pop("missing")
    return json.dumps(data)
