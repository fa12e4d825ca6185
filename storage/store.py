"""The store: one database, and a repository per job over it."""

from __future__ import annotations

from storage.database import Database, create_engine
from storage.history import SqlHistory
from storage.inbox import Jobs, SqlInbox
from storage.outbox import SqlOutbox
from storage.parts import SqlParts
from storage.privacy import SqlPrivacy
from storage.queue import PgJobs, is_postgres
from storage.users import SqlUsers


class SqlStore:
    """Implements `bot.ports.store.Store` on SQLAlchemy 2 async (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, jobs: Jobs | None = None) -> None:
        self.db = db
        self.users = SqlUsers(db)
        self.inbox = SqlInbox(db, self.users, jobs)
        self.outbox = SqlOutbox(db)
        self.parts = SqlParts(db)
        self.history = SqlHistory(db)
        self.privacy = SqlPrivacy(db, self.history, self.users)

    @classmethod
    def from_url(cls, url: str, *, queued: bool = False) -> SqlStore:
        """`queued`: each accepted message also becomes a job for the workers (PostgreSQL)."""
        if queued and not is_postgres(url):
            raise ValueError("gateways and workers share a PostgreSQL database, not SQLite")
        return cls(Database(create_engine(url)), PgJobs() if queued else None)

    async def ping(self) -> None:
        await self.db.ping()

    async def close(self) -> None:
        await self.db.close()
