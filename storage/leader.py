"""Leadership by a PostgreSQL advisory lock, held by one connection for as long as it lives.

A leader that dies loses its connection, and PostgreSQL lets the lock go with it: the
next process that asks within `retry` seconds takes over.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from storage.queue import libpq_url

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 5.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PgLeader:
    """Implements `bot.ports.leader.Leadership`."""

    def __init__(self, database_url: str, name: str, *, retry: float) -> None:
        self._dsn = libpq_url(database_url)
        self.name = name
        self._key = lock_key(f"omnivox:{name}")
        self._retry = retry
        self._conn: Any = None

    async def acquire(self) -> None:
        import asyncpg

        while True:
            try:
                conn = await asyncpg.connect(self._dsn)
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key):
                    self._conn = conn
                    log.info("this process leads %s", self.name)
                    return
                await conn.close()
            except (OSError, asyncpg.PostgresError) as failure:
                log.warning("could not ask for the %s lock: %s", self.name, failure)
            await asyncio.sleep(self._retry)

    async def lost(self) -> None:
        while True:
            await asyncio.sleep(self._retry)
            try:
                await self._conn.fetchval("SELECT 1", timeout=CHECK_TIMEOUT)
            except Exception as failure:
                log.warning("lost the %s lock: %s", self.name, failure)
                await self._drop()
                return

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.fetchval("SELECT pg_advisory_unlock($1)", self._key)
            except Exception as failure:  # the connection is gone: so is the lock
                log.debug("unlocking %s: %s", self.name, failure)
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()
