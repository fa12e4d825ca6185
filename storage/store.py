"""The store: one database, and a repository per job over it."""

from __future__ import annotations

from storage.database import Database, create_engine
from storage.history import SqlHistory
from storage.inbox import SqlInbox
from storage.outbox import SqlOutbox
from storage.parts import SqlParts
from storage.privacy import SqlPrivacy
from storage.users import SqlUsers


class SqlStore:
    """Implements `bot.ports.store.Store` on SQLAlchemy 2 async (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = SqlUsers(db)
        self.inbox = SqlInbox(db, self.users)
        self.outbox = SqlOutbox(db)
        self.parts = SqlParts(db)
        self.history = SqlHistory(db)
        self.privacy = SqlPrivacy(db, self.history, self.users)

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(Database(create_engine(url)))

    async def ping(self) -> None:
        await self.db.ping()

    async def close(self) -> None:
        await self.db.close()
