"""The default, embedded set-up makes no connection and no DNS query beyond this machine.

onnxruntime's usage upload runs in native code, out of reach of a Python socket guard,
so the real engines run in a child process under strace, which sees every connect and
send the process makes, from Python or not; the child also guards getaddrinfo itself.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.offline import TELEMETRY_OFF
from tests.support.corpus import REPO

# Every embedded engine once, as a user's voice note, photo and question would use them.
TOUR = """
import asyncio, io, socket
real = socket.getaddrinfo
def guarded(host, *args, **kwargs):
    if host not in (None, "", "localhost", "127.0.0.1", "::1"):
        raise SystemExit(f"getaddrinfo({host!r}) during engine use")
    return real(host, *args, **kwargs)
socket.getaddrinfo = guarded
from PIL import Image, ImageDraw
from bot.engines.registry import build_engines
from bot.audio import decode_audio, encode_voice_note
from bot.models import ChatTurn
from tests.support.settings import make_settings

async def tour():
    engines = build_engines(make_settings())
    for engine in engines.all():
        await engine.warm_up()
    clip = await engines.synthesizer.synthesize("What is the capital of France?", None, 1.0)
    heard = await engines.transcriber.transcribe(decode_audio(encode_voice_note(clip).data))
    picture = Image.new("RGB", (640, 200), "white")
    ImageDraw.Draw(picture).text((30, 60), "Fresh pesto", fill="black")
    png = io.BytesIO()
    picture.save(png, format="PNG")
    seen = await engines.describer.describe(png.getvalue())
    turns = [ChatTurn(role="user", text=heard.text)]
    said = [piece async for piece in engines.chat.stream(turns, max_tokens=8)]
    print("TOUR", heard.text, "|", seen.text, "|", "".join(said), flush=True)
    await asyncio.sleep(HOLD)

asyncio.run(tour())
"""
HOLD_SECONDS = 12  # the upload is timed, not tied to a call: stay up as a server would
TRACED = "connect,sendto,sendmsg,sendmmsg"
_ADDRESS = re.compile(
    r'sin6?_addr=inet_pton\(AF_INET6, "([^"]+)"\)|sin_addr=inet_addr\("([^"]+)"\)'
)


def test_importing_the_core_sets_the_opt_outs() -> None:
    import bot  # noqa: F401  (the opt-outs are set on import)

    for name in TELEMETRY_OFF:
        assert os.environ.get(name), name


def _outside(trace: str) -> list[str]:
    """Lines of the trace that address something other than loopback."""
    found = []
    for line in trace.splitlines():
        for v6, v4 in _ADDRESS.findall(line):
            if not ipaddress.ip_address(v6 or v4).is_loopback:
                found.append(line.strip())
    return found


@pytest.mark.slow
def test_the_embedded_engines_stay_on_this_machine(tmp_path: Path) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    trace = tmp_path / "trace.txt"
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_OFF}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [strace, "-f", "-qq", "-e", f"trace={TRACED}", "-o", str(trace),
         sys.executable, "-c", TOUR.replace("HOLD", str(HOLD_SECONDS))],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0 and "PTRACE" in done.stderr.upper():
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TOUR" in done.stdout and "capital" in done.stdout.lower()
    assert _outside(trace.read_text()) == []
