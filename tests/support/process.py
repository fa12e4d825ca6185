"""Start and kill omnivox (with test-double engines) as a real child process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.support.corpus import REPO


def start_omnivox(env: dict[str, str], timeout: float = 30.0) -> subprocess.Popen[str]:
    """Run `tests.fakes.serve` and wait for its READY line."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.serve"],
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("READY"):
            return process
    process.kill()
    raise RuntimeError("omnivox did not start:\n" + "".join(seen[-30:]))


def kill_hard(process: subprocess.Popen[str]) -> None:
    """SIGKILL: no clean-up runs, exactly like a crash or power loss."""
    process.kill()
    process.wait(timeout=10)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
