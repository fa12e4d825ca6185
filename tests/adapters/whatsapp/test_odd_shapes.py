"""Webhook bodies of shapes Meta never sends (found by tests/reliability/test_fuzz.py):
each gets a clear answer and the rest of the body flows, instead of a 500 that Meta
would redeliver forever."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.whatsapp.adapter import WEBHOOK_PATH
from adapters.whatsapp.parse import parse_webhook
from bot.models import ContentKind
from tests.fakes.sink import RecordingSink
from tests.support.settings import wa_settings, whatsapp_adapter
from tests.support.whatsapp_bodies import signed, wa_body, wa_message, wa_value


def _good() -> dict[str, Any]:
    return wa_message("text", "wamid.GOOD", {"body": "still here"})


def test_a_type_that_is_not_a_string_is_unsupported() -> None:
    odd = [wa_message("text", f"wamid.T{n}", {"body": "x"}) for n in range(2)]
    odd[0]["type"], odd[1]["type"] = [], {"a": 1}
    delivery = parse_webhook(wa_body(wa_value([*odd, _good()])))
    kinds = [(m.message_id, m.kind) for m in delivery.messages]
    assert kinds == [("wamid.T0", ContentKind.UNSUPPORTED), ("wamid.T1", ContentKind.UNSUPPORTED),
                     ("wamid.GOOD", ContentKind.TEXT)]  # fmt: skip


def test_a_caption_or_quoted_id_that_is_not_text_is_left_out() -> None:
    photo = wa_message("image", "wamid.P", {"id": "m1", "caption": {"nested": "x"}},
                       context={"id": {"not": "an id"}})  # fmt: skip
    document = wa_message("document", "wamid.D", {"id": "m2", "mime_type": "audio/ogg",
                                                  "caption": ["x"]})  # fmt: skip
    first, second = parse_webhook(wa_body(wa_value([photo, document]))).messages
    assert (first.kind, first.text, first.reply_to_id) == (ContentKind.PHOTO, None, None)
    assert (second.kind, second.text) == (ContentKind.AUDIO, None)


async def test_json_nested_deeper_than_python_reads_gets_400() -> None:
    sink = RecordingSink()
    adapter = whatsapp_adapter(wa_settings(), sink)
    app = web.Application()
    app.add_routes(adapter.routes())
    async with TestClient(TestServer(app)) as http:
        raw, headers = signed(b"[" * 100_000 + b"]" * 100_000)
        response = await http.post(WEBHOOK_PATH, data=raw, headers=headers)
        assert response.status == 400, await response.text()
        odd = wa_message("text", "wamid.T", {"body": "x"})
        odd["type"] = ["text"]
        raw, headers = signed(wa_body(wa_value([odd, _good()])))
        response = await http.post(WEBHOOK_PATH, data=raw, headers=headers)
        assert response.status == 200, await response.text()
    assert [m.message_id for m in sink.accepted] == ["wamid.T", "wamid.GOOD"]
