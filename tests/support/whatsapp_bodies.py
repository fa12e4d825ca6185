"""WhatsApp webhook bodies in Meta's documented format, signed as Meta signs them."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from adapters.whatsapp.signature import HEADER, sign
from tests.support.corpus import TESTDATA

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
USER = "15551234567"
USER_NAME = "Ada Lovelace"
BUSINESS_PHONE_ID = "109876543210"
CORPUS = TESTDATA / "whatsapp"


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
    wamid: str,
    status: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    recipient: str = USER,
    callback: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": "1718000100",
        "recipient_id": recipient,
    }
    if errors:
        item["errors"] = errors
    if callback is not None:  # our biz_opaque_callback_data, echoed back
        item["biz_opaque_callback_data"] = callback
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
