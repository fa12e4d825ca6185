"""How soon a Telegram user sees the answer begin, and how long a reply waits to go out.

omnivox runs in this process with the fake Bot API (tests/fakes/telegram_server.py) and a
fake chat model that waits 0.2 s and then writes 40 tokens at 25 a second (1.6 s), with the
flood limiter on, as in production. Reported, over ROUNDS replies each:

- first text: the model's first token → the first call that puts text on the user's screen
  (sendMessageDraft, sendMessage or editMessageText), in a private chat and in a group;
- delivery wait: the model's last token → the call that showed the final text, for replies
  sent one right after another in the same private chat (the per-chat pacing held these);
- command reply: a command pushed → its reply on screen, commands sent one right after
  another in that chat.

Prints a table; writes bench/results/telegram_first_text.json.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import Omnivox, serving  # noqa: E402
from bot.models import ChatTurn  # noqa: E402
from bot.ports.engines import EngineStatus  # noqa: E402
from tests.fakes.engines import fake_engines  # noqa: E402
from tests.fakes.telegram_server import BOT_USERNAME, FakeBotApi  # noqa: E402
from tests.support.settings import telegram_settings  # noqa: E402
from tests.support.telegram_payloads import load  # noqa: E402

RESULTS = REPO / "bench" / "results" / "telegram_first_text.json"
ROUNDS = 10
FIRST_TOKEN_AFTER = 0.2
TOKENS, TOKENS_PER_SECOND = 40, 25
VISIBLE = ("sendMessageDraft", "sendMessage", "editMessageText")


class PacedChat:
    """A chat model that writes at a steady pace and notes when its first and last tokens left."""

    name = "bench-paced"
    accepts_images = False

    def __init__(self) -> None:
        self.first_tokens: list[float] = []
        self.last_tokens: list[float] = []

    async def warm_up(self) -> None:
        return None

    def status(self) -> EngineStatus:
        return EngineStatus(job="chat", engine=self.name, available=True, detail="bench double")

    async def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        await asyncio.sleep(FIRST_TOKEN_AFTER)
        for index in range(TOKENS):
            if index:
                await asyncio.sleep(1 / TOKENS_PER_SECOND)
            else:
                self.first_tokens.append(time.monotonic())
            yield f"word{index} "
        self.last_tokens.append(time.monotonic())


def _chat_id(update: dict[str, Any]) -> int:
    return int(update["message"]["chat"]["id"])


async def _answered(
    app: Omnivox, api: FakeBotApi, update: dict[str, Any]
) -> list[float]:
    """Push one message, wait until it is answered: when each call showed text in its chat."""
    since = len(api.calls)
    pushed = api.push(update)
    await api.wait_confirmed(pushed["update_id"], within=30)
    await app.dispatcher.idle()
    return [c.at for c in api.calls[since:] if c.method in VISIBLE
            and int(c.params.get("chat_id", 0)) == _chat_id(update)]  # fmt: skip


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        api = await FakeBotApi().start()
        engines = fake_engines()
        chat = PacedChat()
        engines = type(engines)(transcriber=engines.transcriber, describer=engines.describer,
                                chat=chat, synthesizer=engines.synthesizer)  # fmt: skip
        settings = telegram_settings(api, Path(folder), telegram_rate_limiter=True,
                                     rate_limit_per_minute=1000)  # fmt: skip
        try:
            async with serving(settings, engines) as app:
                private, group, waits, commands = [], [], [], []
                for n in range(ROUNDS):  # one private reply right after another
                    shown = await _answered(app, api, load("text", message_id=100 + n, text="hi"))
                    private.append((shown[0] - chat.first_tokens[-1]) * 1000)
                    waits.append((shown[-1] - chat.last_tokens[-1]) * 1000)
                for n in range(ROUNDS):  # command replies (not streamed) one after another
                    began = time.monotonic()
                    shown = await _answered(app, api, load("text", message_id=300 + n,
                                                            text="/help"))  # fmt: skip
                    commands.append((shown[-1] - began) * 1000)
                for n in range(ROUNDS):
                    mention = load("group_mention", message_id=200 + n, text=f"@{BOT_USERNAME} hi")
                    shown = await _answered(app, api, mention)
                    group.append((shown[0] - chat.first_tokens[-1]) * 1000)
        finally:
            await api.stop()
    return {"private_first_text_ms": private, "group_first_text_ms": group,
            "private_delivery_wait_ms": waits, "private_command_reply_ms": commands}  # fmt: skip


def main() -> None:
    figures = asyncio.run(measure())
    print(f"{'measure':<34} {'p50':>8} {'max':>8}  (ms, {ROUNDS} replies each)")
    summary: dict[str, Any] = {}
    for name, values in figures.items():
        p50, top = statistics.median(values), max(values)
        summary[name] = {"p50": round(p50, 1), "max": round(top, 1)}
        print(f"{name:<34} {p50:>8.1f} {top:>8.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "raw": figures}, indent=2))


if __name__ == "__main__":
    main()
