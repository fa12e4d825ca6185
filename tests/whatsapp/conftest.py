"""Webhook bodies in Meta's documented format, a fake Graph server, a recording sink."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.whatsapp.signature import HEADER, sign
from bot.config import Settings
from bot.models import IncomingMessage, Platform
from bot.ports import Accepted
from tests.fakes.graph_server import FakeGraph

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
USER = "15551234567"
USER_NAME = "Ada Lovelace"
BUSINESS_PHONE_ID = "109876543210"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "whatsapp"


def wa_message(
    kind: str,
    wamid: str,
    content: Any = None,
    *,
    sender: str = USER,
    ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One entry of value.messages."""
    stamp = ts if ts is not None else str(int(time.time()))
    message: dict[str, Any] = {"from": sender, "id": wamid, "timestamp": stamp, "type": kind}
    if content is not None:
        message[kind] = content
    message.update(extra)
    return message


def wa_status(
    wamid: str, status: str, *, errors: list[dict[str, Any]] | None = None, recipient: str = USER
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": "1718000100",
        "recipient_id": recipient,
    }
    if errors:
        item["errors"] = errors
    return item


def wa_value(
    messages: Sequence[Any] = (),
    statuses: Sequence[dict[str, Any]] = (),
    *,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    names = names if names is not None else {USER: USER_NAME}
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": BUSINESS_PHONE_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": n}, "wa_id": w} for w, n in names.items()]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return value


def wa_body(*values: dict[str, Any], field_name: str = "messages") -> dict[str, Any]:
    """A webhook body: one entry, one change per value."""
    changes = [{"field": field_name, "value": v} for v in values]
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": changes}]}


def signed(body: dict[str, Any] | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {HEADER: sign(secret.encode(), raw), "Content-Type": "application/json"}


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
    return Settings(_env_file=None, **values)


@dataclass
class RecordingSink:
    """A MessageSink that remembers what it was given."""

    accepted: list[IncomingMessage] = field(default_factory=list)
    statuses: list[tuple[str, str, str | None]] = field(default_factory=list)
    feedback: list[tuple[str, str, int]] = field(default_factory=list)
    known_replies: set[str] = field(default_factory=set)
    last_incoming: datetime | None = field(default_factory=lambda: datetime.now(UTC))
    fail_accept: bool = False

    async def accept(self, message: IncomingMessage) -> Accepted:
        if self.fail_accept:
            raise RuntimeError("database is locked")
        duplicate = any(m.message_id == message.message_id for m in self.accepted)
        if not duplicate:
            self.accepted.append(message)
        return Accepted(id=len(self.accepted), duplicate=duplicate)

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        self.statuses.append((platform_message_id, status, error))

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        if platform_message_id not in self.known_replies:
            return False
        self.feedback.append((chat_id, platform_message_id, value))
        return True

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        return self.last_incoming


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], server.violations


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
