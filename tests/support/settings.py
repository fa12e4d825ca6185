"""Settings for tests: from defaults and what the test names, never from .env or the shell.

Tests name a setting as its environment variable does, in lower case and without the
`OMNIVOX_` prefix (`port`, `database_url`, `telegram_bot_token`), so a test reads like
the configuration a user would write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pydantic_settings import BaseSettings

from adapters.telegram.adapter import TelegramAdapter
from adapters.whatsapp.adapter import WhatsAppAdapter
from bot.access import AccessPolicy
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.ports.channels import LastSeen, MessageSink
from bot.ports.engines import Engines
from bot.ports.store import Store
from bot.retry import RetryPolicy
from tests.fakes.graph_server import FakeGraph
from tests.fakes.sink import RecordingSink
from tests.fakes.telegram_server import FakeBotApi
from tests.support.ports import free_port
from tests.support.whatsapp_bodies import APP_SECRET, BUSINESS_PHONE_ID, VERIFY_TOKEN


def env_name(name: str) -> str:
    """`port` → OMNIVOX_PORT; `telegram_bot_token` → TELEGRAM_BOT_TOKEN."""
    upper = name.upper()
    return upper if upper.startswith(("TELEGRAM_", "WHATSAPP_")) else f"OMNIVOX_{upper}"


def env_names(section: type[BaseSettings]) -> dict[str, str]:
    """Environment variable → field name, for one section."""
    found: dict[str, str] = {}
    for field, info in section.model_fields.items():
        for choice in getattr(info.validation_alias, "choices", ()):
            if str(choice).isupper():
                found[str(choice)] = field
    return found


def _sections() -> dict[str, type[BaseSettings]]:
    return {name: info.annotation for name, info in Settings.model_fields.items()}  # type: ignore[misc]


# Tests see replies exactly as they wrote them; those about the first-contact notice
# turn it on by naming it.
TEST_DEFAULTS: dict[str, Any] = {"first_contact_notice": ""}


def make_settings(**values: Any) -> Settings:
    """Defaults (the notice off, see TEST_DEFAULTS), plus `values` named as described
    above; an unknown name is an error."""
    values = {**TEST_DEFAULTS, **values}
    wanted = {env_name(name): value for name, value in values.items()}
    sections: dict[str, BaseSettings] = {}
    used: set[str] = set()
    for name, section in _sections().items():
        names = env_names(section)
        mine = {names[env]: value for env, value in wanted.items() if env in names}
        used.update(env for env in wanted if env in names)
        sections[name] = section.model_validate(mine)
    unknown = set(wanted) - used
    if unknown:
        raise TypeError(f"no such settings: {sorted(unknown)}")
    return Settings(**sections)


def changed(settings: Settings, **values: Any) -> Settings:
    """A copy of `settings` with `values` (named as above) changed."""
    wanted = {env_name(name): value for name, value in values.items()}
    updates: dict[str, BaseSettings] = {}
    for name, section in _sections().items():
        names = env_names(section)
        mine = {names[env]: value for env, value in wanted.items() if env in names}
        if mine:
            current: BaseSettings = getattr(settings, name)
            updates[name] = section.model_validate({**current.model_dump(), **mine})
    return settings.model_copy(update=updates)


def make_dispatcher(store: Store, engines: Engines, settings: Settings) -> Dispatcher:
    """A dispatcher wired from `settings` as the composition root wires it."""
    return Dispatcher(
        store, engines, settings.conversation, settings.limits, AccessPolicy(settings.access)
    )


def telegram_settings(api: FakeBotApi, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": api.token,
        "telegram_api_base_url": api.base_url,
        "telegram_file_base_url": api.base_file_url,
        "telegram_rate_limiter": False,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        "data_dir": str(tmp_path),
        "host": "127.0.0.1",
        "port": free_port(),
        "warm_engines": False,
        "allowed_users": "",
    }
    return make_settings(**(values | overrides))


def wa_settings(graph: FakeGraph | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "whatsapp_access_token": graph.token if graph else "test-graph-token",
        "whatsapp_phone_number_id": graph.phone_number_id if graph else BUSINESS_PHONE_ID,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_graph_base_url": graph.base_url if graph else "http://127.0.0.1:9",
        "whatsapp_api_version": graph.version if graph else "v23.0",
        "telegram_bot_token": "",
    }
    values.update(overrides)
    return make_settings(**values)


def telegram_adapter(settings: Settings, sink: RecordingSink) -> TelegramAdapter:
    return TelegramAdapter(settings.telegram, sink, limits=settings.limits)


def whatsapp_adapter(
    settings: Settings,
    sink: MessageSink,
    seen: LastSeen | None = None,
    *,
    retry: RetryPolicy | None = None,
    **timing: float,
) -> WhatsAppAdapter:
    """By default the sink also answers when a chat last wrote (the 24-hour window);
    `timing` sets the adapter's `timeout` and `unclear_wait`."""
    last_seen = seen if seen is not None else cast(LastSeen, sink)
    return WhatsAppAdapter(
        settings.whatsapp, sink, last_seen, limits=settings.limits, retry=retry, **timing
    )
