"""Voice round trip on this machine with the embedded engines.

Measures ASR real-time factor, LLM time to first token and tokens/s, TTS
real-time factor, OGG/Opus encode time, and the end-to-end time from a voice
note received to a voice reply ready (decode → ASR → answer ≤ 40 words → TTS →
encode), median of several runs; peak RSS with every engine loaded; how long
the server takes to be ready; and llama.cpp against transformers on the same
SmolLM2 weights (transformers runs in a child process so it does not inflate
the RSS figure). Prints a table and writes bench/results/voice_roundtrip.json.

    python bench/voice_roundtrip.py [--runs 5] [--skip-transformers] [--llm-threads N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.models import ChatTurn  # noqa: E402
from bot.ports.engines import AudioClip  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402

TESTDATA = ROOT.parent / "shared" / "testdata" / "audio"
RESULTS = ROOT / "bench" / "results" / "voice_roundtrip.json"
QUESTION = (
    "Hey, could you tell me a simple way to stay focused when I work from home all day?"
)
ANSWER_40_WORDS = (
    "Try working in short blocks of twenty five minutes with a five minute break after each one. "
    "Keep your phone in another room, set one clear goal for the morning, and stop at the same "
    "time every evening."
)
MAX_WORDS = 40
TARGETS = {"e2e_s": 2.8, "asr_rtf": 0.15, "tts_rtf": 0.1, "peak_rss_mb": 1536, "ready_s": 3.0}


LLM_THREADS = 0  # 0: the engine's default (all cores but one); --llm-threads overrides


def settings() -> Settings:
    return make_settings(llm_threads=LLM_THREADS)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def first_words(text: str, limit: int = MAX_WORDS) -> str:
    return " ".join(text.split()[:limit])


async def timed_stream(chat: Any, prompt: str, max_tokens: int) -> dict[str, Any]:
    """Time to first piece, total time, and the text of one streamed answer."""
    turns = [ChatTurn(role="user", text=prompt)]
    started = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    async for piece in chat.stream(turns, max_tokens=max_tokens):
        if first is None:
            first = time.perf_counter() - started
        pieces.append(piece)
    total = time.perf_counter() - started
    text = "".join(pieces)
    tokens = await asyncio.to_thread(chat.token_count, text)
    decode_time = max(1e-6, total - (first or 0.0))
    return {
        "ttft_s": round(first or total, 4),
        "total_s": round(total, 4),
        "tokens": tokens,
        "tokens_per_s": round(max(0, tokens - 1) / decode_time, 1),
        "text": text.strip(),
    }


async def chat_figures(chat: Any, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    await chat.warm_up()
    load = time.perf_counter() - started
    await timed_stream(chat, "Hello!", 8)  # first call pays one-off setup
    samples = [await timed_stream(chat, QUESTION, 80) for _ in range(runs)]
    return {
        "engine": chat.name,
        "load_s": round(load, 3),
        "ttft_s": median([s["ttft_s"] for s in samples]),
        "tokens_per_s": median([s["tokens_per_s"] for s in samples]),
        "tokens": median([float(s["tokens"]) for s in samples]),
        "sample_answer": samples[0]["text"],
    }


async def asr_figures(transcriber: Any, name: str, clip: AudioClip, runs: int) -> dict[str, Any]:
    times, text = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        result = await transcriber.transcribe(clip)
        times.append(time.perf_counter() - started)
        text = result.text
    return {
        "clip": name, "duration_s": round(clip.duration, 2), "median_s": median(times),
        "rtf": round(median(times) / clip.duration, 4), "text": text,
    }


async def tts_figures(synth: Any, runs: int) -> dict[str, Any]:
    from bot.media import encode_voice_note

    times, encodes, duration = [], [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        clip = await synth.synthesize(ANSWER_40_WORDS, None)
        times.append(time.perf_counter() - started)
        duration = clip.duration
        started = time.perf_counter()
        encode_voice_note(clip)
        encodes.append(time.perf_counter() - started)
    return {
        "words": len(ANSWER_40_WORDS.split()), "audio_s": round(duration, 2),
        "median_s": median(times), "rtf": round(median(times) / duration, 4),
        "encode_median_s": median(encodes),
    }


async def one_round_trip(engines: Any, note: bytes) -> dict[str, float]:
    """Voice note bytes in → OGG/Opus reply bytes out, every stage timed."""
    from bot.engines.speech.guard import is_unintelligible
    from bot.media import decode_audio, encode_voice_note

    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    clip = await asyncio.to_thread(decode_audio, note)
    marks["decode"] = time.perf_counter() - t0
    t = time.perf_counter()
    transcript = await engines.transcriber.transcribe(clip)
    if is_unintelligible(clip, transcript):
        raise RuntimeError(f"the question was not understood: {transcript.text!r}")
    marks["asr"] = time.perf_counter() - t
    t = time.perf_counter()
    pieces: list[str] = []
    async for piece in engines.chat.stream([ChatTurn(role="user", text=transcript.text)],
                                           max_tokens=64):
        pieces.append(piece)
        if len("".join(pieces).split()) > MAX_WORDS:
            break
    answer = first_words("".join(pieces)) or "Sorry, I have no answer."
    marks["llm"] = time.perf_counter() - t
    t = time.perf_counter()
    speech = await engines.synthesizer.synthesize(answer, None)
    marks["tts"] = time.perf_counter() - t
    t = time.perf_counter()
    reply = await asyncio.to_thread(encode_voice_note, speech)
    marks["encode"] = time.perf_counter() - t
    marks["total"] = time.perf_counter() - t0
    marks["answer_words"] = float(len(answer.split()))
    marks["reply_audio_s"] = reply.duration
    return marks


async def one_streamed_trip(engines: Any, note: bytes) -> dict[str, float]:
    """The same trip, but each sentence is spoken while the model writes the next."""
    from bot.engines.voice.sentences import speak_streamed
    from bot.media import decode_audio, encode_voice_note

    t0 = time.perf_counter()
    clip = await asyncio.to_thread(decode_audio, note)
    transcript = await engines.transcriber.transcribe(clip)
    asr_done = time.perf_counter() - t0
    pieces = engines.chat.stream([ChatTurn(role="user", text=transcript.text)], max_tokens=64)
    answer, speech = await speak_streamed(pieces, engines.synthesizer, None, max_words=MAX_WORDS)
    speech_done = time.perf_counter() - t0
    reply = await asyncio.to_thread(encode_voice_note, speech)
    total = time.perf_counter() - t0
    return {"asr": asr_done, "llm+tts": speech_done - asr_done, "encode": total - speech_done,
            "total": total, "answer_words": float(len(answer.split())),
            "reply_audio_s": reply.duration}


def _fresh_run(code: str) -> float:
    """Median wall time of `python -c code` in a fresh interpreter, three runs."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - started)
    return median(times)


def ready_time() -> dict[str, Any]:
    """Seconds from a fresh interpreter to a ready app, models still loading in the background.

    Measured as the imports plus building the engine registry (no model is loaded then);
    with `bot/app.py` present, importing the composition root is included.
    """
    build = (
        "from bot.config import Settings\n"
        "from bot.engines.registry import build_engines\n"
        "build_engines(Settings())\n"
    )
    result: dict[str, Any] = {"registry_s": _fresh_run(build)}
    if (ROOT / "bot" / "app.py").exists():
        result["app_import_s"] = _fresh_run("import bot.app\n" + build)
    result["ready_s"] = result.get("app_import_s", result["registry_s"])
    return result


def transformers_in_child(runs: int) -> dict[str, Any]:
    """Measure the transformers chat engine in its own process."""
    out = subprocess.run(
        [sys.executable, __file__, "--chat-only", "transformers", "--runs", str(runs)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    if out.returncode != 0:
        return {"engine": "transformers", "error": out.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def chat_only(kind: str, runs: int) -> None:
    from bot.engines.registry import build_chat

    chat = build_chat(make_settings(llm=kind))
    figures = await chat_figures(chat, runs)
    figures["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(figures))


async def main(runs: int, with_transformers: bool) -> dict[str, Any]:
    from bot.engines.registry import build_engines
    from bot.media import decode_audio, encode_voice_note

    load_before = os.getloadavg()
    process_start = time.perf_counter()
    engines = build_engines(settings())
    loads: dict[str, float] = {}
    for engine in engines.all():
        started = time.perf_counter()
        await engine.warm_up()
        loads[engine.name] = round(time.perf_counter() - started, 3)
    all_loaded_s = time.perf_counter() - process_start

    spoken = await engines.synthesizer.synthesize(QUESTION, None)
    note = encode_voice_note(spoken).data
    clips = {"piper_question": decode_audio(note)}
    for path in sorted(TESTDATA.glob("*")) if TESTDATA.is_dir() else []:
        if path.suffix in {".flac", ".wav", ".ogg"}:
            clips[path.name] = decode_audio(path.read_bytes())

    asr = [await asr_figures(engines.transcriber, n, c, runs) for n, c in clips.items()]
    llama = await chat_figures(engines.chat, runs)
    llama["load_s"] = loads[engines.chat.name]
    llama["threads"] = getattr(engines.chat, "threads", None)
    tts = await tts_figures(engines.synthesizer, runs)
    await one_round_trip(engines, note)  # warm every path once
    await one_streamed_trip(engines, note)
    trips, streamed = [], []
    for _ in range(max(5, runs)):  # interleaved, so both see the same machine load
        trips.append(await one_round_trip(engines, note))
        streamed.append(await one_streamed_trip(engines, note))
    e2e = {k: median([t[k] for t in trips]) for k in trips[0]}
    e2e_streamed = {k: median([t[k] for t in streamed]) for k in streamed[0]}
    rss = peak_rss_mb()
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    # Other work on the machine skews every figure: keep the load with them.
                    "loadavg_1m_before_after": [round(load_before[0], 2),
                                                round(os.getloadavg()[0], 2)]},
        "runs": runs,
        "engine_load_s": loads,
        "all_engines_loaded_s": round(all_loaded_s, 3),
        "question_s": round(clips["piper_question"].duration, 2),
        "asr": asr,
        "llm": {"llama-cpp": llama,
                "transformers": transformers_in_child(runs) if with_transformers else None},
        "tts": tts,
        "e2e_median": e2e,
        "e2e_streamed_median": e2e_streamed,
        "peak_rss_mb": rss,
        "ready": ready_time(),
        "targets": TARGETS,
    }


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def print_table(r: dict[str, Any]) -> None:
    q = next(a for a in r["asr"] if a["clip"] == "piper_question")
    streamed = r["e2e_streamed_median"]["total"]
    rows = [
        ("end-to-end voice→voice, sequential", f"{r['e2e_median']['total']:.2f} s",
         f"≤ {TARGETS['e2e_s']} s", verdict(r["e2e_median"]["total"], TARGETS["e2e_s"])),
        ("end-to-end voice→voice, streamed TTS", f"{streamed:.2f} s",
         f"≤ {TARGETS['e2e_s']} s", verdict(streamed, TARGETS["e2e_s"])),
        (f"ASR RTF ({q['duration_s']} s question)", f"{q['rtf']:.3f}",
         f"≤ {TARGETS['asr_rtf']}", verdict(q["rtf"], TARGETS["asr_rtf"])),
    ]
    rows += [(f"ASR RTF ({a['clip']})", f"{a['rtf']:.3f}", f"≤ {TARGETS['asr_rtf']}",
              verdict(a["rtf"], TARGETS["asr_rtf"])) for a in r["asr"] if a is not q]
    rows += [
        ("TTS RTF (40 words)", f"{r['tts']['rtf']:.3f}", f"≤ {TARGETS['tts_rtf']}",
         verdict(r["tts"]["rtf"], TARGETS["tts_rtf"])),
        ("OGG/Opus encode (40-word reply)", f"{r['tts']['encode_median_s'] * 1000:.0f} ms", "", ""),
        ("peak RSS, all engines loaded", f"{r['peak_rss_mb']:.0f} MB",
         f"≤ {TARGETS['peak_rss_mb']} MB", verdict(r["peak_rss_mb"], TARGETS["peak_rss_mb"])),
        ("server ready after start (import app + registry)", f"{r['ready']['ready_s']:.2f} s",
         f"≤ {TARGETS['ready_s']} s", verdict(r["ready"]["ready_s"], TARGETS["ready_s"])),
        ("  of which engine registry alone", f"{r['ready']['registry_s']:.2f} s", "", ""),
        ("all models loaded (background)", f"{r['all_engines_loaded_s']:.2f} s", "", ""),
    ]
    for name in ("llama-cpp", "transformers"):
        c = r["llm"].get(name)
        if not c:
            continue
        if "error" in c:
            rows.append((f"LLM {name}", f"error: {c['error']}", "", ""))
            continue
        rows.append((f"LLM {name}: load / TTFT / tok/s",
                     f"{c['load_s']:.2f} s / {c['ttft_s'] * 1000:.0f} ms / {c['tokens_per_s']:.0f}",
                     "", ""))
    e = r["e2e_median"]
    rows.append(("e2e stages (decode/asr/llm/tts/enc)",
                 " / ".join(f"{e[k]:.2f}" for k in ("decode", "asr", "llm", "tts", "encode")),
                 "s", ""))
    width = max(len(row[0]) for row in rows)
    before, after = r["machine"]["loadavg_1m_before_after"]
    print(f"\n{r['machine']['cpus']} CPUs; 1-minute load average {before} before, {after} after "
          f"(anything else running slows every figure)")
    print(f"\n{'measure'.ljust(width)}  {'value':>28}  {'target':>12}  verdict")
    for name, value, target, mark in rows:
        print(f"{name.ljust(width)}  {value:>28}  {target:>12}  {mark}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--chat-only", choices=["llama-cpp", "transformers"])
    parser.add_argument("--llm-threads", type=int, default=0)
    args = parser.parse_args()
    LLM_THREADS = args.llm_threads
    if args.chat_only:
        asyncio.run(chat_only(args.chat_only, args.runs))
        sys.exit(0)
    report = asyncio.run(main(args.runs, not args.skip_transformers))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")
