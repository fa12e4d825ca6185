"""Talk latency on this machine: an aiortc caller speaks to omnivox over WebRTC, through the
web signaling, with the embedded engines (Whisper base in the pinned language, Qwen2.5-Coder-
0.5B, Piper), everything on 2 cores.

omnivox runs as `omnivox run` in its own process, the caller in this one. Ten English
questions are spoken by Piper (the product's own voice engine) once, before the
clock starts, and played to the call in real time as a microphone would, each in a fresh call
and chat by someone whose language is known (`/language en`). For each: the time from the end
of the speech in the sent audio to the first non-silent reply audio at the caller (the
end-of-turn silence, the transcription, the model's first sentence, its synthesis, Opus and the
jitter buffer all inside it). Then the barge-in stop time: speech played over a long answer,
from the first sent frame of that speech to the moment the caller's received audio goes silent
for good.

    python bench/talk_latency.py [--barge-ins 5]

Prints a table and writes bench/results/talk_latency.json (first_audio_p50_s,
first_audio_p95_s, barge_in_stop_ms). Targets: p50 ≤ 1.2 s, barge-in ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.engines.registry import build_synthesizer  # noqa: E402
from bot.ports.engines import AudioClip  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402
from tests.support.talk_peer import FRAME, RATE, TalkPeer  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "talk_latency.json"
TARGETS = {"first_audio_p50_s": 1.2, "barge_in_stop_ms": 200}
QUESTIONS = (
    "What is the capital of Japan?",
    "How many days are there in a week?",
    "What colour is the sky on a clear day?",
    "What is twelve times seven?",
    "Who wrote Romeo and Juliet?",
    "What is the boiling point of water?",
    "Can you name a fruit that is yellow?",
    "How many legs does a spider have?",
    "What is the largest ocean on Earth?",
    "What language is spoken in Brazil?",
)
STORY = "Please tell me a long story about a sailor who crosses the sea in a small boat."
INTERRUPTION = "Wait, stop, I have another question."
QUIET_FRAMES = 25  # 0.5 s of silence received: the answer has stopped, not paused


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def to_16k(clip: AudioClip) -> np.ndarray:
    frame = av.AudioFrame.from_ndarray(clip.samples.astype(np.float32).reshape(1, -1),
                                       format="flt", layout="mono")  # fmt: skip
    frame.sample_rate = clip.sample_rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    out = [*resampler.resample(frame), *resampler.resample(None)]
    return np.concatenate([f.to_ndarray().reshape(-1) for f in out])


def speech_bounds(samples: np.ndarray) -> tuple[int, int]:
    """Where the speech of a clip starts and ends (samples): its first and last 20 ms
    frame above -34 dBFS (Piper's speech is clean; the VAD's spans are padded)."""
    peaks = np.abs(samples[: len(samples) // FRAME * FRAME]).reshape(-1, FRAME).max(axis=1)
    loud = np.flatnonzero(peaks > 0.02)
    return int(loud[0]) * FRAME, (int(loud[-1]) + 1) * FRAME


class Bench:
    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base, self.session = base, session

    async def call(self, chat: str) -> tuple[TalkPeer, str]:
        peer = TalkPeer()
        offer = {"type": "offer", "sdp": await peer.offer()}
        async with self.session.post(f"{self.base}/api/chats/{chat}/talk", json=offer) as r:
            answer = await r.json()
            assert r.status == 200, answer
        await peer.accept(answer["sdp"])
        await asyncio.sleep(1.0)  # ICE and DTLS settle
        return peer, answer["talk_id"]

    async def hang_up(self, peer: TalkPeer, talk_id: str) -> None:
        async with self.session.delete(f"{self.base}/api/talk/{talk_id}"):
            pass
        await peer.close()

    async def first_audio(self, chat: str, question: np.ndarray) -> float:
        """Seconds from the end of the question's speech (as sent) to the first loud frame."""
        _, end = speech_bounds(question)
        peer, talk_id = await self.call(chat)
        try:
            spoken = question[: end]
            peer.mic.say(spoken)
            await peer.mic.drained()
            ended_at = peer.mic.sent_at[-1][0]  # the frame holding the last of the speech
            async with asyncio.timeout(30):
                while not any(loud for at, loud in peer.heard if at > ended_at):
                    await asyncio.sleep(0.01)
            return next(at for at, loud in peer.heard if at > ended_at and loud) - ended_at
        finally:
            await self.hang_up(peer, talk_id)

    async def barge_in(self, chat: str, story: np.ndarray, interruption: np.ndarray) -> float:
        """Milliseconds from the first sent frame of speech over the answer to silence."""
        peer, talk_id = await self.call(chat)
        try:
            await peer.say(story)
            async with asyncio.timeout(30):
                while not any(loud for _, loud in peer.heard[-5:]):
                    await asyncio.sleep(0.01)
            await asyncio.sleep(1.5)  # the answer is well under way
            onset, _ = speech_bounds(interruption)
            sent_before = len(peer.mic.sent_at)
            peer.mic.say(interruption)
            await peer.mic.drained()
            speech_sent_at = peer.mic.sent_at[sent_before + onset // FRAME][0]
            await asyncio.sleep(1.0)
            after = [(at, loud) for at, loud in peer.heard if at >= speech_sent_at]
            for index in range(len(after)):
                window = after[index : index + QUIET_FRAMES]
                if len(window) == QUIET_FRAMES and not any(loud for _, loud in window):
                    return (window[0][0] - speech_sent_at) * 1000
            raise RuntimeError("the answer did not stop")
        finally:
            await self.hang_up(peer, talk_id)


SERVER_LOG = re.compile(r"heard in ([0-9.]+) s, first audio ([0-9.]+) s after the turn ended")


def serve(tmp: str, port: int, log: Any) -> subprocess.Popen[bytes]:
    """`omnivox run` in its own process, as it runs for a browser, on the embedded engines."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMNIVOX_HOST": "127.0.0.1",
           "OMNIVOX_PORT": str(port), "OMNIVOX_DATA_DIR": tmp,
           "OMNIVOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
           "OMNIVOX_LLM_MAX_TOKENS": "120", "OMNIVOX_RATE_LIMIT_PER_MINUTE": "1000",
           "OMNIVOX_FIRST_CONTACT_NOTICE": "", "OMNIVOX_WARM_ENGINES": "true",
           "OMNIVOX_LOG_LEVEL": "INFO", "TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": ""}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=tmp, env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


async def ready(session: aiohttp.ClientSession, base: str) -> None:
    async with asyncio.timeout(300):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/healthz") as r:
                    if (await r.json()).get("engines_warm"):
                        return
            await asyncio.sleep(0.5)


async def pin_english(session: aiohttp.ClientSession, base: str, chat: str) -> None:
    """The asker's language is known, as after their first turn (`/language en`)."""
    async with session.post(f"{base}/api/chats/{chat}/messages",
                            data={"text": "/language en"}) as r:  # fmt: skip
        assert r.status == 202, await r.text()
    async with asyncio.timeout(30):
        while True:
            async with session.get(f"{base}/api/chats/{chat}/messages") as r:
                if any(m["direction"] == "out" for m in await r.json()):
                    return
            await asyncio.sleep(0.2)


async def main(barge_ins: int, tmp: str, log: Any) -> dict[str, Any]:
    load_before = os.getloadavg()
    settings = make_settings()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(tmp, port, log)
    try:
        voice = build_synthesizer(settings)  # the questions, spoken by Piper
        await voice.warm_up()
        questions = [to_16k(await voice.synthesize(q, None)) for q in QUESTIONS]
        story = to_16k(await voice.synthesize(STORY, None))
        interruption = to_16k(await voice.synthesize(INTERRUPTION, None))
        async with aiohttp.ClientSession() as session:
            await ready(session, base)
            bench = Bench(base, session)
            for n in range(-1, len(questions)):
                await pin_english(session, base, f"bench-q{n}")
            await bench.first_audio("bench-q-1", questions[0])  # warms every path
            first: list[float] = []
            for n, question in enumerate(questions):
                seconds = await bench.first_audio(f"bench-q{n}", question)
                first.append(seconds)
                print(f"  {QUESTIONS[n]:<45} {seconds:6.2f} s to the first audio")
            stops = []
            for n in range(barge_ins):
                stop = await bench.barge_in(f"bench-b{n}", story, interruption)
                stops.append(stop)
                print(f"  barge-in {n + 1}: answer silent {stop:5.0f} ms after the speech")
    finally:
        server.terminate()
        await asyncio.to_thread(server.wait, 30)
    result = {
        "first_audio_p50_s": round(statistics.median(first), 3),
        "first_audio_p95_s": round(p(first, 0.95), 3),
        "first_audio_s": [round(s, 3) for s in first],
        "barge_in_stop_ms": round(statistics.median(stops)),
        "barge_in_stop_all_ms": [round(s) for s in stops],
        "end_of_turn_ms": settings.talk.end_of_turn_ms,
        "server": "omnivox run in its own process; the caller (aiortc) in the bench's",
        "targets": TARGETS,
        "engines": {"asr": "faster-whisper base (the asker's language pinned)",
                    "chat": "Qwen2.5-Coder-0.5B Q4_K_M (llama.cpp)", "tts": "Piper en_US joe"},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": [round(v, 2) for v in load_before],
                    "load_after": [round(v, 2) for v in os.getloadavg()]},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }  # fmt: skip
    return result


def table(result: dict[str, Any]) -> str:
    rows = [
        ("first audio p50", f"{result['first_audio_p50_s']:.2f} s", "≤ 1.2 s"),
        ("first audio p95", f"{result['first_audio_p95_s']:.2f} s", ""),
        ("barge-in stop (median)", f"{result['barge_in_stop_ms']} ms", "≤ 200 ms"),
    ]
    for key, name in (("server_heard_after_turn_end_s", "server: heard (p50)"),
                      ("server_first_audio_after_turn_end_s", "server: first audio (p50)")):
        if result.get(key):
            rows.append((name, f"{statistics.median(result[key]):.2f} s", "after the turn end"))
    lines = [f"{'measure':<24} {'measured':>10}  target", "-" * 46]
    lines += [f"{name:<24} {value:>10}  {target}" for name, value, target in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--barge-ins", type=int, default=5)
    with tempfile.TemporaryDirectory() as folder, open(f"{folder}/server.log", "wb") as out:
        found = asyncio.run(main(parser.parse_args().barge_ins, folder, out))
        inside = SERVER_LOG.findall(Path(f"{folder}/server.log").read_text(errors="replace"))
    asked = inside[1 : 1 + len(QUESTIONS)]  # the warm-up first; the barge-ins after
    found["server_heard_after_turn_end_s"] = [float(h) for h, _ in asked]  # the server's log
    found["server_first_audio_after_turn_end_s"] = [float(f) for _, f in asked]
    print(table(found))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(found, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
