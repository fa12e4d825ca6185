"""The webhook routes and the send side of WhatsAppAdapter, with a recording sink."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.whatsapp.adapter import VOICE_LIMIT, WEBHOOK_PATH, WhatsAppAdapter
from adapters.whatsapp.graph import RetryPolicy
from bot.errors import AdapterError, DeliveryError, MediaTooLarge, UnreadableMedia
from bot.models import Activity, Attachment, Choice, ContentKind, MediaRef, Platform, VoiceAudio
from bot.ports.channels import WAITS_FOR_USER, Adapter
from tests.fakes.graph_server import FakeGraph
from tests.fakes.sink import RecordingSink
from tests.support.settings import wa_settings, whatsapp_adapter
from tests.support.whatsapp_bodies import (
    APP_SECRET,
    USER,
    VERIFY_TOKEN,
    signed,
    wa_body,
    wa_message,
    wa_status,
    wa_value,
)

FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.05)
TEXT_BODY = wa_body(wa_value([wa_message("text", "wamid.IN1", {"body": "hello"})]))


@pytest.fixture
async def adapter(graph: FakeGraph, sink: RecordingSink) -> AsyncIterator[WhatsAppAdapter]:
    wa = whatsapp_adapter(wa_settings(graph), sink, retry=FAST)
    await wa.start()
    yield wa
    await wa.stop()


@pytest.fixture
async def http(adapter: WhatsAppAdapter) -> AsyncIterator[TestClient]:
    app = web.Application()
    app.add_routes(adapter.routes())
    async with TestClient(TestServer(app)) as client:
        yield client


def test_implements_the_adapter_contract(adapter: WhatsAppAdapter) -> None:
    assert isinstance(adapter, Adapter)
    assert adapter.open_stream(USER, None) is None


# verification handshake


async def test_verify_echoes_the_challenge(http: TestClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    resp = await http.get(WEBHOOK_PATH, params=params)
    assert resp.status == 200 and await resp.text() == "1158201444"
    assert resp.content_type == "text/plain"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
        {},
    ],
    ids=["wrong token", "wrong mode", "no token", "nothing"],
)
async def test_verify_refuses(http: TestClient, params: dict[str, str]) -> None:
    resp = await http.get(WEBHOOK_PATH, params=params)
    assert resp.status == 403


async def test_verify_refuses_when_no_token_is_configured(sink: RecordingSink) -> None:
    wa = whatsapp_adapter(wa_settings(whatsapp_verify_token=""), sink)
    app = web.Application()
    app.add_routes(wa.routes())
    async with TestClient(TestServer(app)) as client:
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert (await client.get(WEBHOOK_PATH, params=params)).status == 403


# webhook POST


async def test_signed_delivery_is_stored_and_acknowledged(
    http: TestClient, sink: RecordingSink
) -> None:
    raw, headers = signed(TEXT_BODY)
    resp = await http.post(WEBHOOK_PATH, data=raw, headers=headers)
    assert resp.status == 200
    [message] = sink.accepted
    assert (message.message_id, message.chat_id, message.text) == ("wamid.IN1", USER, "hello")


@pytest.mark.parametrize(
    ("raw", "header", "status"),
    [
        (json.dumps(TEXT_BODY).encode(), None, 401),
        (json.dumps(TEXT_BODY).encode(), "sha256=" + "0" * 64, 403),
        (json.dumps(TEXT_BODY).encode(), "wrong-secret", 403),
        (b"{not json", "sign", 400),
        (b"\xff\xfe", "sign", 400),
        (json.dumps({"object": "page", "entry": []}).encode(), "sign", 400),
        (json.dumps([1, 2]).encode(), "sign", 400),
    ],
    ids=["missing", "wrong", "other secret", "bad json", "not utf-8", "other object", "array"],
)
async def test_bad_requests_store_nothing(
    http: TestClient, sink: RecordingSink, raw: bytes, header: str | None, status: int
) -> None:
    headers = {}
    if header == "sign":
        headers = signed(raw)[1]
    elif header == "wrong-secret":
        headers = signed(raw, secret="not-" + APP_SECRET)[1]
    elif header:
        headers = {"X-Hub-Signature-256": header}
    resp = await http.post(WEBHOOK_PATH, data=raw, headers=headers)
    assert resp.status == status
    assert sink.accepted == [] and sink.statuses == []


async def test_statuses_are_recorded_not_answered(http: TestClient, sink: RecordingSink) -> None:
    errors = [{"code": 131047, "title": "Re-engagement message"}]
    body = wa_body(
        wa_value(
            statuses=[
                wa_status("wamid.OUT1", "delivered"),
                wa_status("wamid.OUT2", "failed", errors=errors),
            ]
        )
    )
    raw, headers = signed(body)
    assert (await http.post(WEBHOOK_PATH, data=raw, headers=headers)).status == 200
    assert sink.accepted == []
    assert sink.statuses == [
        ("wamid.OUT1", "delivered", None),
        ("wamid.OUT2", WAITS_FOR_USER, "131047: Re-engagement message"),  # not lost: waits
    ]


async def test_thumbs_up_on_our_reply_is_feedback(http: TestClient, sink: RecordingSink) -> None:
    sink.known_replies = {"wamid.OURS"}
    body = wa_body(
        wa_value(
            [
                wa_message("reaction", "r1", {"message_id": "wamid.OURS", "emoji": "👍"}),
                wa_message("reaction", "r2", {"message_id": "wamid.UNKNOWN", "emoji": "👎"}),
            ]
        )
    )
    raw, headers = signed(body)
    assert (await http.post(WEBHOOK_PATH, data=raw, headers=headers)).status == 200
    assert sink.feedback == [(Platform.WHATSAPP, USER, "wamid.OURS", 1)]
    [unknown] = sink.accepted
    assert (unknown.message_id, unknown.kind) == ("r2", ContentKind.UNSUPPORTED)


async def test_other_fields_are_acknowledged(http: TestClient, sink: RecordingSink) -> None:
    raw, headers = signed(wa_body({"event": "VERIFIED_ACCOUNT"}, field_name="account_update"))
    assert (await http.post(WEBHOOK_PATH, data=raw, headers=headers)).status == 200
    assert sink.accepted == [] and sink.statuses == []


async def test_storage_failure_asks_meta_to_redeliver(
    http: TestClient, sink: RecordingSink
) -> None:
    sink.failures = 1_000
    raw, headers = signed(TEXT_BODY)
    assert (await http.post(WEBHOOK_PATH, data=raw, headers=headers)).status == 500


# sending


async def test_long_text_is_split_and_quotes_the_user(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    text = ("word " * 1000).strip() + "\n\n" + ("more " * 300).strip()
    ids = await adapter.send_text(USER, text, reply_to_id="wamid.IN1")
    assert len(ids) == len(graph.sent) == 2
    assert graph.sent[0]["context"] == {"message_id": "wamid.IN1"}
    assert "context" not in graph.sent[1]
    assert all(
        len(m["text"]["body"]) <= 4096 and m["text"]["preview_url"] is False for m in graph.sent
    )
    assert " ".join(m["text"]["body"] for m in graph.sent).split() == text.split()


async def test_few_short_choices_become_reply_buttons(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    choices = [
        Choice(label="Voice on", command="/voice on"),
        Choice(label="Voice off", command="/voice off"),
    ]
    await adapter.send_text(USER, "Voice replies?", choices=choices)
    [sent] = graph.sent
    interactive = sent["interactive"]
    assert interactive["type"] == "button" and interactive["body"] == {"text": "Voice replies?"}
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == [
        "/voice on",
        "/voice off",
    ]


async def test_many_choices_become_a_list(adapter: WhatsAppAdapter, graph: FakeGraph) -> None:
    choices = [
        Choice(label=f"A rather long option number {i}", command=f"/pick {i}") for i in range(12)
    ]
    await adapter.send_text(USER, "Pick one", choices=choices)
    [sent] = graph.sent
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert sent["interactive"]["type"] == "list" and len(rows) == 10
    assert rows[0]["id"] == "/pick 0" and len(rows[0]["title"]) <= 24


async def test_choices_after_a_long_text_come_in_their_own_message(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    await adapter.send_text(USER, "x" * 2000, choices=[Choice(label="OK", command="/ok")])
    assert [m["type"] for m in graph.sent] == ["text", "interactive"]


async def test_voice_then_text(adapter: WhatsAppAdapter, graph: FakeGraph) -> None:
    voice = VoiceAudio(data=b"OggS" + b"\0" * 1000, duration=2.0)
    ids = await adapter.send_voice(USER, voice, text="Hello there", reply_to_id="wamid.IN1")
    audio, text = graph.sent
    assert audio["type"] == "audio" and audio["audio"]["voice"] is True
    assert audio["context"] == {"message_id": "wamid.IN1"} and "context" not in text
    assert graph.uploads[audio["audio"]["id"]].data == voice.data
    assert graph.uploads[audio["audio"]["id"]].mime_type == "audio/ogg"
    assert text["text"]["body"] == "Hello there" and ids == [audio["_wamid"], text["_wamid"]]


async def test_voice_over_512_kb_sends_the_text_only(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    voice = VoiceAudio(data=b"\0" * (VOICE_LIMIT + 1), duration=60.0)
    await adapter.send_voice(USER, voice, text="Long answer", reply_to_id="wamid.IN1")
    [text] = graph.sent
    assert graph.uploads == {} and text["text"]["body"].startswith("Long answer")
    assert text["context"] == {"message_id": "wamid.IN1"}


@pytest.mark.parametrize("kind", ["upload", "messages"])
async def test_media_error_on_voice_still_sends_the_text(
    adapter: WhatsAppAdapter, graph: FakeGraph, kind: str
) -> None:
    graph.fail(kind, 131053)
    voice = VoiceAudio(data=b"OggS", duration=1.0)
    await adapter.send_voice(USER, voice, text="Still here", reply_to_id="wamid.IN1")
    [text] = graph.sent
    assert text["text"]["body"] == "Still here" and text["context"]["message_id"] == "wamid.IN1"


async def test_attachment_goes_as_a_document(adapter: WhatsAppAdapter, graph: FakeGraph) -> None:
    att = Attachment(file_name="chat.md", data=b"# Chat\n", mime_type="text/markdown")
    await adapter.send_attachment(USER, att, reply_to_id="wamid.IN1")
    [doc] = graph.sent
    assert doc["document"]["filename"] == "chat.md"
    assert graph.uploads[doc["document"]["id"]].data == b"# Chat\n"


@pytest.mark.parametrize(
    "last", [None, datetime.now(UTC) - timedelta(hours=25)], ids=["never wrote", "25 hours ago"]
)
async def test_outside_the_24_hour_window_nothing_is_sent_and_the_reply_waits(
    adapter: WhatsAppAdapter, graph: FakeGraph, sink: RecordingSink, last: datetime | None
) -> None:
    sink.last_incoming = last
    voice = VoiceAudio(data=b"OggS", duration=1.0)
    att = Attachment(file_name="a.md", data=b"x", mime_type="text/markdown")
    for call in (
        adapter.send_text(USER, "hi"),
        adapter.send_voice(USER, voice, text="hi"),
        adapter.send_attachment(USER, att),
    ):
        with pytest.raises(DeliveryError) as info:
            await call
        assert info.value.waits_for_user and not info.value.permanent
        assert "24-hour window" in info.value.reason
    assert graph.sent == [] and graph.uploads == {}


async def test_naive_last_incoming_counts_as_utc(
    adapter: WhatsAppAdapter, graph: FakeGraph, sink: RecordingSink
) -> None:
    sink.last_incoming = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    await adapter.send_text(USER, "hi")
    assert len(graph.sent) == 1


async def test_re_engagement_from_graph_waits_for_the_user(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    graph.fail("messages", 131047)
    with pytest.raises(DeliveryError) as info:
        await adapter.send_text(USER, "hi")
    assert info.value.waits_for_user and graph.calls["messages"] == 1


async def test_rate_limit_exhausted_is_transient_with_a_wait(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    graph.fail("messages", 130429, times=10)
    with pytest.raises(DeliveryError) as info:
        await adapter.send_text(USER, "hi")
    assert not info.value.permanent and info.value.retry_after
    assert graph.calls["messages"] == FAST.attempts


async def test_expired_token_keeps_replies_pending_and_logs_once(
    graph: FakeGraph, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    wa = whatsapp_adapter(wa_settings(graph, whatsapp_access_token="expired"), sink, retry=FAST)
    await wa.start()
    try:
        with caplog.at_level(logging.ERROR, logger="adapters.whatsapp"):
            for _ in range(5):
                with pytest.raises(DeliveryError) as info:
                    await wa.send_text(USER, "hi")
                assert not info.value.permanent and info.value.retry_after == 60
    finally:
        await wa.stop()
    assert [r.levelno for r in caplog.records].count(logging.ERROR) == 1


# media and activity


async def test_download(adapter: WhatsAppAdapter, graph: FakeGraph) -> None:
    graph.add_media("m1", b"OggS-data", "audio/ogg")
    assert await adapter.download(MediaRef(file_id="m1", mime_type="audio/ogg")) == b"OggS-data"


async def test_download_refuses_by_declared_size(graph: FakeGraph, sink: RecordingSink) -> None:
    wa = whatsapp_adapter(wa_settings(graph, max_media_mb=1), sink, retry=FAST)
    await wa.start()
    try:
        with pytest.raises(MediaTooLarge):
            await wa.download(MediaRef(file_id="any", size=2 * 1024 * 1024))
        graph.add_media("m1", b"x", "image/jpeg", declared_size=5 * 1024 * 1024)
        with pytest.raises(MediaTooLarge) as info:
            await wa.download(MediaRef(file_id="m1"))
        graph.add_media("m2", b"x" * (1024 * 1024 + 1), "image/jpeg", declared_size=100)
        with pytest.raises(MediaTooLarge):
            await wa.download(MediaRef(file_id="m2"))
    finally:
        await wa.stop()
    assert "1 MB" in info.value.user_message
    assert graph.calls["media_download"] == 1  # only m2 was fetched at all


@pytest.mark.parametrize(
    ("setup", "ref"),
    [
        (lambda g: None, MediaRef(file_id="unknown")),
        (lambda g: g.add_media("m1", b"", "image/jpeg"), MediaRef(file_id="m1")),
        (
            lambda g: g.add_media("m2", b"<html>", "text/html"),
            MediaRef(file_id="m2", mime_type="image/jpeg"),
        ),
        (
            lambda g: (g.add_media("m3", b"x", "image/jpeg"), g.fail_http("media_download", 404)),
            MediaRef(file_id="m3"),
        ),
    ],
    ids=["unknown id", "empty", "wrong type", "url gone"],
)
async def test_unreadable_media(
    adapter: WhatsAppAdapter, graph: FakeGraph, setup: Callable[[FakeGraph], object], ref: MediaRef
) -> None:
    setup(graph)
    with pytest.raises(UnreadableMedia):
        await adapter.download(ref)


async def test_download_passing_failure_is_an_adapter_error(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    graph.add_media("m1", b"x", "image/jpeg")
    graph.fail_http("media_info", 500, times=5)
    with pytest.raises(AdapterError) as info:
        await adapter.download(MediaRef(file_id="m1"))
    assert not isinstance(info.value, UnreadableMedia)


async def test_typing_points_at_the_last_incoming_message(
    http: TestClient, adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    await adapter.show_activity(USER, Activity.TYPING)  # nothing known yet: no call
    assert graph.reads == []
    raw, headers = signed(TEXT_BODY)
    await http.post(WEBHOOK_PATH, data=raw, headers=headers)
    await adapter.show_activity(USER, Activity.RECORDING)
    await adapter.show_activity(USER, Activity.TYPING)  # refreshed later, not now
    assert graph.reads == [
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN1",
            "typing_indicator": {"type": "text"},
        }
    ]


async def test_typing_failure_is_swallowed(
    http: TestClient, adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    raw, headers = signed(TEXT_BODY)
    await http.post(WEBHOOK_PATH, data=raw, headers=headers)
    graph.fail_http("read", 500)
    await adapter.show_activity(USER, Activity.TYPING)
    assert graph.reads == []


async def test_a_user_the_inbox_refused_can_still_be_told_so(
    http: TestClient, adapter: WhatsAppAdapter, graph: FakeGraph, sink: RecordingSink
) -> None:
    sink.last_incoming = None  # not in the inbox: refused (not allowed or rate limited)
    raw, headers = signed(TEXT_BODY)
    await http.post(WEBHOOK_PATH, data=raw, headers=headers)
    await adapter.send_text(USER, "Sorry, this assistant is private.", reply_to_id="wamid.IN1")
    assert graph.texts_to(USER) == ["Sorry, this assistant is private."]
