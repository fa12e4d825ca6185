"""Throwaway PostgreSQL databases for tests: one migrated template a run, a copy a test.

The server is OMNIVOX_TEST_POSTGRES_URL (default: the local one with trust auth). When it
cannot be reached, or the driver is not installed, the tests that need it are skipped
with the reason, so a machine without PostgreSQL still runs everything else.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache

from sqlalchemy.engine import URL, make_url

from storage.database import upgrade

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def server_url() -> URL:
    return make_url(os.environ.get("OMNIVOX_TEST_POSTGRES_URL", DEFAULT_URL))


def _admin_dsn(url: URL, database: str | None = None) -> str:
    plain = url.set(drivername="postgresql", database=database or url.database)
    return plain.render_as_string(hide_password=False)


@cache
def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        import asyncpg  # noqa: F401
        import psycopg
    except ImportError as missing:
        return f"PostgreSQL tests need the postgres extra ({missing.name} is not installed)"
    url = server_url()
    try:
        with psycopg.connect(_admin_dsn(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as failure:
        safe = url.render_as_string(hide_password=True)
        return f"PostgreSQL at {safe} is unreachable ({type(failure).__name__}: {failure})"
    return None


def _execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(server_url()), autocommit=True) as conn:
        conn.execute(sql)


class Databases:
    """A migrated template, made on first use; each `fresh()` is a copy of it."""

    def __init__(self) -> None:
        self._template: str | None = None
        self._made: list[str] = []

    def _ensure_template(self) -> str:
        if self._template is None:
            name = f"omnivox_tpl_{uuid.uuid4().hex[:12]}"
            _execute(f'CREATE DATABASE "{name}"')
            upgrade(self.url(name))
            self._template = name
        return self._template

    def url(self, name: str) -> str:
        return server_url().set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        name = f"omnivox_t_{uuid.uuid4().hex[:16]}"
        _execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._ensure_template()}"')
        self._made.append(name)
        return self.url(name)

    def empty(self) -> str:
        """A database with nothing in it, for migrating from scratch."""
        name = f"omnivox_e_{uuid.uuid4().hex[:16]}"
        _execute(f'CREATE DATABASE "{name}"')
        self._made.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in [*self._made, *([self._template] if self._template else [])]:
            _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def databases() -> Iterator[Databases]:
    made = Databases()
    try:
        yield made
    finally:
        made.close()
