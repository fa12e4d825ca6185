"""Every store test runs on SQLite and on PostgreSQL (skipped, saying why, without one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import both_backends


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return both_backends(request, tmp_path)
