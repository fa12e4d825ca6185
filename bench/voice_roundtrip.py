"""Voice round trip on this machine, through the product's own path, with the embedded engines.

For each configuration (Whisper base + Qwen2.5-Coder-0.5B by default; Whisper tiny.en for
English) and each question (a ~5 s English question spoken by Piper; the shared French and
Chinese samples), a voice note goes into the dispatcher exactly as a channel hands it over,
and the clock stops when the channel is handed the voice reply: decode, speech to text in
the pinned language, the model streaming, each sentence spoken while the next is written,
OGG/Opus encoding. Stage times come from timing the engines as the pipeline calls them.
Also: word/character error rate per language on the shared samples, and an answer-quality
table (8 questions graded by keyword checks) for every selectable chat model.

    python bench/voice_roundtrip.py [--runs 7] [--skip-quality] [--skip-big]

Prints tables and writes bench/results/voice_roundtrip.json. Other work on the machine
skews every figure: the load average before and after is recorded with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.voice_quality import QUESTIONS, grade  # noqa: E402
from bot.models import ChatTurn, ContentKind, MediaRef  # noqa: E402
from bot.ports.engines import Engines  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402

AUDIO = ROOT.parent / "shared" / "testdata" / "audio"
RESULTS = ROOT / "bench" / "results" / "voice_roundtrip.json"
QUESTION = "What is a good way to keep fresh basil from wilting in my kitchen?"
TARGETS = {"round_trip_p50_s": 2.5, "round_trip_tiny_en_p50_s": 2.0}


def p50(values: list[float]) -> float:
    return round(statistics.median(values), 3)


class Timed:
    """Wraps the engines to time what the pipeline asks of them (the engines are untouched)."""

    def __init__(self, engines: Engines) -> None:
        self.marks: dict[str, float] = {}
        self.engines = engines
        transcribe, stream = engines.transcriber.transcribe, engines.chat.stream
        synthesize = engines.synthesizer.synthesize

        async def timed_transcribe(audio: Any, **kw: Any) -> Any:
            began = time.perf_counter()
            self.marks.setdefault("decoded_at", began)
            result = await transcribe(audio, **kw)
            self.marks["asr_s"] = self.marks.get("asr_s", 0.0) + time.perf_counter() - began
            return result

        async def timed_stream(turns: Any, **kw: Any) -> Any:
            began = time.perf_counter()
            async for piece in stream(turns, **kw):
                self.marks.setdefault("first_token_at", time.perf_counter())
                self.marks["pieces"] = self.marks.get("pieces", 0) + 1
                yield piece
            self.marks["llm_s"] = time.perf_counter() - began
            self.marks["llm_done_at"] = time.perf_counter()

        async def timed_synthesize(text: str, voice: Any, speed: float = 1.0) -> Any:
            began = time.perf_counter()
            clip = await synthesize(text, voice, speed)
            done = time.perf_counter()
            self.marks.setdefault("first_audio_at", done)
            self.marks["tts_s"] = self.marks.get("tts_s", 0.0) + done - began
            self.marks["last_audio_at"] = done
            return clip

        engines.transcriber.transcribe = timed_transcribe  # type: ignore[method-assign]
        engines.chat.stream = timed_stream  # type: ignore[assignment, method-assign]
        engines.synthesizer.synthesize = timed_synthesize  # type: ignore[method-assign]


async def round_trips(engines: Engines, note: bytes, language: str, runs: int,
                      db: str) -> dict[str, Any]:  # fmt: skip
    """`runs` voice notes in a fresh chat each, user language pinned as after a first note."""
    from bot.dispatcher import Dispatcher
    from storage.store import SqlStore
    from tests.fakes.channel import RecordingChannel
    from tests.support.settings import make_dispatcher

    settings = make_settings(database_url=db)
    store = SqlStore.from_url(db)
    timed = Timed(engines)
    channel = RecordingChannel()
    dispatcher: Dispatcher = make_dispatcher(store, engines, settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    trips: list[dict[str, float]] = []
    answers: list[str] = []
    try:
        for run in range(runs + 1):  # the first run warms every path and is not counted
            chat = f"{language}-{run}-{time.monotonic_ns()}"
            await store.users.update(channel.platform, chat, language=f"auto:{language}")
            channel.files[chat] = note
            timed.marks.clear()
            began = time.perf_counter()
            from tests.support.messages import make_message

            await dispatcher.accept(make_message(None, kind=ContentKind.VOICE, chat_id=chat,
                                                 media=MediaRef(file_id=chat)))  # fmt: skip
            sent = await channel.wait_for(len(channel.sent) + 1, within=120)
            done = time.perf_counter()
            await dispatcher.idle()
            if run == 0:
                continue
            m = timed.marks
            reply = sent[-1]
            answers.append(reply.text)
            trips.append({
                "round_trip_s": done - began,
                "decode_s": m.get("decoded_at", began) - began,
                "asr_s": m.get("asr_s", 0.0),
                "first_token_s": m.get("first_token_at", done) - began,
                "llm_s": m.get("llm_s", 0.0),
                "first_audio_s": m.get("first_audio_at", done) - began,
                "tts_total_s": m.get("tts_s", 0.0),
                "after_llm_s": done - m.get("llm_done_at", done),
                "answer_words": float(len(reply.text.split())),
                "reply_audio_s": reply.voice.duration if reply.voice else 0.0,
                "voice": 1.0 if reply.voice else 0.0,
            })  # fmt: skip
    finally:
        await dispatcher.stop()
        await store.close()
    return {"p50": {k: p50([t[k] for t in trips]) for k in trips[0]},
            "runs": len(trips), "sample_answer": answers[0] if answers else ""}


async def spoken_question(engines: Engines) -> bytes:
    from bot.audio import encode_voice_note

    clip = await engines.synthesizer.synthesize(QUESTION, None, 1.0)
    return encode_voice_note(clip).data


async def error_rates(transcriber: Any, languages: set[str] | None) -> list[dict[str, Any]]:
    from bot.audio import decode_audio
    from tests.bot.engines.speech.test_faster_whisper import cer, wer

    found = []
    samples = json.loads((AUDIO / "transcripts.json").read_text())
    for name, meta in samples.items():
        lang = meta.get("language")
        if not meta.get("text") or name.startswith("long") or (languages and lang not in languages):
            continue
        clip = decode_audio((AUDIO / name).read_bytes())
        began = time.perf_counter()
        heard = await transcriber.transcribe(clip)
        took = time.perf_counter() - began
        rate = (cer if lang in ("zh", "ja", "ko") else wer)(meta["text"], heard.text)
        found.append({"sample": name, "language": lang, "detected": heard.language,
                      "metric": "CER" if lang in ("zh", "ja", "ko") else "WER",
                      "error_rate": round(rate, 3), "seconds": round(took, 2),
                      "text": heard.text})  # fmt: skip
    return found


async def quality(model: str) -> dict[str, Any]:
    from bot.engines.registry import build_chat
    from bot.prompts import system_prompt

    settings = make_settings(llm_model=model)
    chat = build_chat(settings)
    try:
        await chat.warm_up()
    except Exception as missing:
        return {"model": model, "error": str(missing)}
    rows = []
    for question in QUESTIONS:
        turns = [ChatTurn(role="system", text=system_prompt(settings.conversation, spoken=False,
                                                            language=question.language))]
        turns += [ChatTurn(role=r, text=t) for r, t in question.turns]
        began = time.perf_counter()
        answer = "".join([p async for p in chat.stream(turns, max_tokens=120)]).strip()
        rows.append({"question": question.name, "ok": grade(question, answer),
                     "seconds": round(time.perf_counter() - began, 2), "answer": answer})
    return {"model": model, "score": sum(r["ok"] for r in rows), "of": len(rows), "rows": rows}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def main(runs: int, with_quality: bool, with_big: bool) -> dict[str, Any]:
    from bot.engines.registry import build_engines

    load_before = os.getloadavg()
    db_dir = Path(tempfile.mkdtemp(prefix="omnivox-bench-"))
    from storage.database import upgrade

    db = f"sqlite+aiosqlite:///{db_dir}/bench.db"
    await asyncio.to_thread(upgrade, db)
    report: dict[str, Any] = {"runs": runs, "question": QUESTION}
    engines = build_engines(make_settings())
    for engine in engines.all():
        await engine.warm_up()
    english = await spoken_question(engines)
    notes = {"en": english, "fr": (AUDIO / "fr_picovoice_leopard.wav").read_bytes(),
             "zh": (AUDIO / "zh_funasr_asr_example.wav").read_bytes()}
    report["error_rates_base"] = await error_rates(engines.transcriber, None)
    for lang, note in notes.items():
        key = f"round_trip_base_{lang}"
        report[key] = await round_trips(engines, note, lang, runs, db)
        print(f"{key}: p50 {report[key]['p50']['round_trip_s']:.2f} s", flush=True)
    report["peak_rss_mb_defaults"] = peak_rss_mb()
    tiny = build_engines(make_settings(asr_model="tiny.en"))
    await tiny.transcriber.warm_up()
    report["error_rates_tiny_en"] = await error_rates(tiny.transcriber, {"en"})
    fast = Engines(transcriber=tiny.transcriber, describer=engines.describer,
                   chat=engines.chat, synthesizer=engines.synthesizer)
    report["round_trip_tiny_en_en"] = await round_trips(fast, english, "en", runs, db)
    tiny_p50 = report["round_trip_tiny_en_en"]["p50"]["round_trip_s"]
    print(f"round_trip_tiny_en_en: p50 {tiny_p50:.2f} s")
    report["round_trip_p50_s"] = report["round_trip_base_en"]["p50"]["round_trip_s"]
    report["round_trip_tiny_en_p50_s"] = report["round_trip_tiny_en_en"]["p50"]["round_trip_s"]
    if with_quality:
        models = ["qwen2.5-coder-0.5b", "smollm2-135m"]
        models += ["qwen2.5-coder-1.5b"] if with_big else []
        report["answer_quality"] = [await quality(m) for m in models]
    report["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform(),
                         "loadavg_1m_before_after": [round(load_before[0], 2),
                                                     round(os.getloadavg()[0], 2)]}  # fmt: skip
    report["targets"] = TARGETS
    return report


def print_tables(r: dict[str, Any]) -> None:
    before, after = r["machine"]["loadavg_1m_before_after"]
    print(f"\n{r['machine']['cpus']} CPUs; 1-minute load average {before} before, {after} after")
    print(f"\n{'voice note → voice reply (p50)':<34} {'total':>6} {'asr':>5} {'1st tok':>7} "
          f"{'llm':>5} {'1st aud':>7} {'after llm':>9} {'words':>5}  target")
    for key in ("round_trip_base_en", "round_trip_tiny_en_en", "round_trip_base_fr",
                "round_trip_base_zh"):
        p = r[key]["p50"]
        target = {"round_trip_base_en": "≤ 2.5 s", "round_trip_tiny_en_en": "≤ 2.0 s"}.get(key, "")
        print(f"{key:<34} {p['round_trip_s']:>6.2f} {p['asr_s']:>5.2f} {p['first_token_s']:>7.2f} "
              f"{p['llm_s']:>5.2f} {p['first_audio_s']:>7.2f} {p['after_llm_s']:>9.2f} "
              f"{p['answer_words']:>5.0f}  {target}")
    print(f"\n{'sample':<34} {'lang':>4} {'heard':>5} {'rate':>10}")
    for row in r["error_rates_base"] + r["error_rates_tiny_en"]:
        print(f"{row['sample']:<34} {row['language']:>4} {row['detected']!s:>5} "
              f"{row['metric']} {row['error_rate']:.2f}")
    for model in r.get("answer_quality", []):
        if "error" in model:
            print(f"\n{model['model']}: {model['error']}")
            continue
        print(f"\n{model['model']}: {model['score']} of {model['of']}")
        for row in model["rows"]:
            mark = "ok " if row["ok"] else "-- "
            print(f"  {mark} {row['question']:<14} {row['seconds']:>5.1f} s"
                  f"  {row['answer'][:70]!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-big", action="store_true", help="leave out Qwen2.5-Coder-1.5B")
    args = parser.parse_args()
    result = asyncio.run(main(args.runs, not args.skip_quality, not args.skip_big))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print_tables(result)
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")
