"""Time from POST to stored reply in the web chat, on the real embedded engines.

omnivox serves on 127.0.0.1 with a real SQLite file; once its models are warm,
a text, a spoken question (made by the Piper engine, as an OGG/Opus voice note)
and a photo of a sign with a question are each posted `--runs` times. Reported:
the median and worst seconds from POST to the reply being stored (and, for the
voice note, to its voice reply). Prints a table; writes
bench/results/web_roundtrip.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import Omnivox, serving  # noqa: E402
from bot.audio import encode_voice_note  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402

RESULTS = REPO / "bench" / "results" / "web_roundtrip.json"


def sign_png() -> bytes:
    picture = Image.new("RGB", (640, 200), "white")
    ImageDraw.Draw(picture).text(
        (30, 60), "Fresh pesto 4.50 EUR", fill="black", font=ImageFont.load_default(size=56)
    )
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


async def post_and_wait(
    session: aiohttp.ClientSession, base: str, chat: str, form: aiohttp.FormData
) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    async with session.post(f"{base}/api/chats/{chat}/messages", data=form) as response:
        assert response.status == 202, await response.text()
        sent = (await response.json())["message_id"]
    while True:
        async with session.get(f"{base}/api/chats/{chat}/messages?after={sent}") as response:
            rows = await response.json()
        answer = next((r for r in rows if r["answer_to"] == sent), None)
        if answer is not None:
            return time.perf_counter() - began, answer
        await asyncio.sleep(0.02)


async def wait_warm(session: aiohttp.ClientSession, base: str) -> float:
    began = time.perf_counter()
    while True:
        async with session.get(f"{base}/healthz") as response:
            if (await response.json()).get("engines_warm"):
                return time.perf_counter() - began
        await asyncio.sleep(0.1)


async def measure(runs: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="omnivox-bench-"))
    port = free_port()
    settings = make_settings(
        host="127.0.0.1", port=port, database_url=f"sqlite+aiosqlite:///{workdir}/b.db",
        data_dir=str(workdir), llm_max_tokens=60,
    )
    results: dict[str, list[float]] = {"text": [], "voice": [], "photo": []}
    async with serving(settings) as app, aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{port}"
        warm_s = await wait_warm(session, base)
        question = await spoken(app, "What is a good way to start the morning?")
        photo = sign_png()
        for run in range(runs):
            chat = f"bench-{run}"
            form = aiohttp.FormData({"text": "Give me one tip for sleeping well."})
            results["text"].append((await post_and_wait(session, base, chat, form))[0])
            form = aiohttp.FormData()
            form.add_field("voice", question, filename="q.ogg", content_type="audio/ogg")
            took, answer = await post_and_wait(session, base, chat, form)
            assert answer["voice_url"], answer
            results["voice"].append(took)
            form = aiohttp.FormData({"text": "What does the sign say?"})
            form.add_field("image", photo, filename="sign.png", content_type="image/png")
            results["photo"].append((await post_and_wait(session, base, chat, form))[0])
    return {
        "runs": runs,
        "models_warm_after_s": round(warm_s, 2),
        "post_to_stored_reply_s": {
            kind: {"median": round(statistics.median(v), 3), "max": round(max(v), 3)}
            for kind, v in results.items()
        },
    }


async def spoken(app: Omnivox, text: str) -> bytes:
    clip = await app.engines.synthesizer.synthesize(text, None, 1.0)
    return encode_voice_note(clip).data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    report = asyncio.run(measure(args.runs))
    print(f"web chat, POST → stored reply (embedded engines, {args.runs} runs each)")
    print(f"{'kind':<8}{'median s':>10}{'max s':>10}")
    for kind, figures in report["post_to_stored_reply_s"].items():
        print(f"{kind:<8}{figures['median']:>10.2f}{figures['max']:>10.2f}")
    print(f"models warm {report['models_warm_after_s']} s after the server was up")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
