"""A long recording through the product's own path: time, memory, and what was heard.

An hour of real speech (the shared 70 s Spanish reading, repeated with pauses between
the readings) is written as one OGG/Opus file, as a user would send a recorded meeting.
It then goes through what the pipeline does with audio over 30 s: decoded block by block
(`bot.audio.audio_blocks`), cut at pauses by the Silero VAD and transcribed piece by piece
(`bot.listening.hear_long`) by the embedded multilingual Whisper base. The peak resident
memory is measured for the transcription alone (the peak is reset once the engine is
loaded) and the resident memory is sampled as the progress moves, so a memory that grows
with the length of the recording shows as a rising column.

    python bench/long_audio.py [--minutes 60]

Prints a table and writes bench/results/long_audio.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.audio import VoiceNoteWriter, audio_blocks, decode_audio  # noqa: E402
from bot.listening import hear_long  # noqa: E402
from bot.ports.engines import ASR_SAMPLE_RATE, AudioClip  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402

AUDIO = ROOT.parent / "shared" / "testdata" / "audio"
READING = AUDIO / "long_es_librivox_capitan_veneno_aeneas.mp3"
RESULTS = ROOT / "bench" / "results" / "long_audio.json"
PAUSE_S = 1.5


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    status = Path("/proc/self/status").read_text()
    found = re.search(rf"{field}:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


def reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the peak resident size to the current one."""
    Path("/proc/self/clear_refs").write_text("5")


def write_recording(path: Path, minutes: float) -> float:
    """Append the reading and a pause until the file is `minutes` long; returns seconds."""
    reading = decode_audio(READING.read_bytes()).samples
    pause = np.zeros(int(PAUSE_S * ASR_SAMPLE_RATE), np.float32)
    writer = VoiceNoteWriter()
    written = 0.0
    while written < minutes * 60:
        writer.add(AudioClip(samples=np.concatenate([reading, pause]), sample_rate=ASR_SAMPLE_RATE))
        written += (len(reading) + len(pause)) / ASR_SAMPLE_RATE
    path.write_bytes(writer.finish().data)
    return written


async def transcribe(data: bytes, seconds: float) -> dict[str, Any]:
    from bot.engines.registry import build_engines

    engines = build_engines(make_settings())
    await engines.transcriber.warm_up()
    loaded_mb = memory_mb("VmRSS")
    reset_peak()
    samples: list[dict[str, float]] = []
    started = time.perf_counter()

    async def progress(done: float) -> None:
        if not samples or done - samples[-1]["done"] >= 0.1 or done >= 1.0:
            samples.append({"done": round(done, 3), "rss_mb": round(memory_mb("VmRSS"), 1),
                            "elapsed_s": round(time.perf_counter() - started, 1)})
            print(f"  {done:6.1%}  rss {samples[-1]['rss_mb']:7.1f} MB  "
                  f"{samples[-1]['elapsed_s']:7.1f} s", flush=True)

    heard = await hear_long(engines.transcriber, audio_blocks(data, block_seconds=10.0),
                            seconds, "es", firm=True, progress=progress)
    elapsed = time.perf_counter() - started
    peak_mb = memory_mb("VmHWM")
    return {
        "engine_loaded_rss_mb": round(loaded_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "peak_above_loaded_mb": round(peak_mb - loaded_mb, 1),
        "elapsed_s": round(elapsed, 1),
        "real_time_factor": round(elapsed / seconds, 3),
        "pieces": heard.pieces,
        "transcript_chars": len(heard.transcript.text),
        "language": heard.transcript.language,
        "progress": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    if not READING.exists():
        sys.exit(f"the shared reading is not here: {READING}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recording.ogg"
        seconds = write_recording(path, args.minutes)
        data = path.read_bytes()
    result = {"audio_s": round(seconds, 1), "file_mb": round(len(data) / 2**20, 2),
              "load_average": os.getloadavg()[0],
              **asyncio.run(transcribe(data, seconds))}
    result["load_average_after"] = os.getloadavg()[0]
    print()
    columns = ("recording", "file", "engine loaded", "peak during", "peak above loaded",
               "time", "× real time", "pieces")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    cells = (f"{seconds / 60:.0f} min", f"{result['file_mb']} MB",
             f"{result['engine_loaded_rss_mb']} MB", f"{result['peak_rss_mb']} MB",
             f"{result['peak_above_loaded_mb']} MB", f"{result['elapsed_s']} s",
             result["real_time_factor"], result["pieces"])
    print("| " + " | ".join(str(c) for c in cells) + " |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
