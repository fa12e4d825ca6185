"""Settings: every one documented, secrets never shown."""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings
from tests.support.corpus import REPO
from tests.support.settings import env_names, make_settings


def _env_names() -> set[str]:
    names: set[str] = set()
    for section in Settings.model_fields.values():
        assert section.annotation is not None
        names.update(env_names(section.annotation))
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
    settings = make_settings(
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
    assert settings.server.port == 9123
    assert settings.access.allowed_user_keys == {"telegram:42", "whatsapp:4915112345678"}


def test_each_section_reads_only_its_own_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIVOX_ENGINE_CONCURRENCY", "3")
    monkeypatch.setenv("OMNIVOX_ASR_MODEL", "small")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    settings = Settings()
    assert settings.speech.concurrency == settings.voice.concurrency == 3
    assert settings.speech.model == "small" and settings.vision.model == ""
    assert settings.telegram.enabled and not settings.whatsapp.enabled


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        make_settings(max_media_mb=0)
