"""Logging set-up: one line per event, secrets never printed, no statement logs unless asked.

At DEBUG, aiosqlite logs every statement it runs with its parameters: every text and
transcript users send. Those loggers stay at WARNING unless `OMNIVOX_LOG_SQL` asks for
them; secrets are redacted from every record by `bot.redaction`.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, SecretStr

from bot.config import Settings
from bot.redaction import protect

NOISY = ("httpx", "httpcore", "aiohttp.access", "telegram.ext.Updater", "alembic")
# Loggers that carry SQL statements and their parameters (user text among them).
STATEMENTS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")


def configure(level: str, *, sql: bool = False) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    quiet_statements(sql=sql)


def quiet_statements(*, sql: bool) -> None:
    """Statement logging only when asked for: then at DEBUG (aiosqlite) and INFO
    (SQLAlchemy's echo), whatever the root level."""
    for name in STATEMENTS:
        logging.getLogger(name).setLevel(logging.DEBUG if sql else logging.WARNING)


def protect_settings(settings: Settings) -> None:
    """Every secret in the settings (tokens, app secret, API key) is redacted from logs."""
    sections: list[BaseModel] = [getattr(settings, name) for name in type(settings).model_fields]
    protect(*(value for section in sections for value in vars(section).values()
              if isinstance(value, SecretStr)))  # fmt: skip
