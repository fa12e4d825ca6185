"""Alembic environment: async engine, batch mode so SQLite can alter tables."""

from __future__ import annotations

import asyncio
import os

from sqlalchemy.engine import Connection

from alembic import context
from storage.database import create_engine
from storage.schema import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    """The URL `storage.database.upgrade` passed, else the environment, else alembic.ini."""
    return (
        config.attributes.get("omnivox_url")
        or os.environ.get("OMNIVOX_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or ""
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, render_as_batch=True, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
