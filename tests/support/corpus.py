"""Where the public samples in ../shared/testdata live, and how tests reach them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO.parent / "shared" / "testdata"


def corpus_path(*parts: str) -> Path:
    """A path inside the samples; the test is skipped when they are not here."""
    path = TESTDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared testdata absent: {path}")
    return path


def corpus_transcripts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(corpus_path("audio", "transcripts.json").read_text())
    return data
