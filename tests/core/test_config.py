"""Settings: every one documented, secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Settings

REPO = Path(__file__).resolve().parents[2]


def _env_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = getattr(alias, "choices", ())
        names.update(str(c) for c in choices if str(c).isupper())
    return names


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = (REPO / ".env.example").read_text()
    readme = (REPO / "README.md").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line
                  and not line.startswith("#")}
    assert _env_names() == documented
    missing = sorted(name for name in _env_names() if f"`{name}`" not in readme)
    assert missing == []


def test_secrets_never_appear_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        telegram_bot_token="123:SECRET-TG", whatsapp_access_token="SECRET-WA",
        whatsapp_app_secret="SECRET-APP", llm_api_key="sk-SECRET",
    )
    with caplog.at_level(logging.INFO):
        logging.getLogger("omnivox.test").info("settings: %s %r", settings, settings)
    shown = repr(settings) + str(settings) + caplog.text
    assert "SECRET" not in shown


def test_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIVOX_PORT", "9123")
    monkeypatch.setenv("OMNIVOX_ALLOWED_USERS", "telegram:42, whatsapp:+4915112345678")
    settings = Settings()
    assert settings.port == 9123
    assert settings.allowed_user_keys == {"telegram:42", "whatsapp:4915112345678"}


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Settings(max_media_mb=0)
