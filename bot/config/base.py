"""What every settings section shares: `.env`, frozen values, and names read from the
environment (the ones in `.env.example`) beside the field names code and tests use."""

from __future__ import annotations

from pydantic import AliasChoices
from pydantic_settings import BaseSettings, SettingsConfigDict


def env(name: str, field: str) -> AliasChoices:
    """Read from the environment variable `name`; `field` is accepted in code and tests."""
    return AliasChoices(name, field)


class Section(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )


def at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError("must be at least 1")
    return value
