"""Every message shape Meta documents → our message model, table-driven."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.whatsapp.parse import NotAWebhook, parse_webhook
from bot.models import ContentKind, MediaRef, Platform
from tests.support.whatsapp_bodies import (
    CORPUS,
    USER,
    USER_NAME,
    wa_body,
    wa_message,
    wa_status,
    wa_value,
)

IMAGE = {"caption": "what is this?", "mime_type": "image/jpeg", "sha256": "abc", "id": "img1"}

# name, message, expected kind, text, media, unsupported_type
CASES: list[tuple[str, dict[str, Any], ContentKind, str | None, MediaRef | None, str | None]] = [
    ("text", wa_message("text", "w1", {"body": "hello"}), ContentKind.TEXT, "hello", None, None),
    (
        "voice note",
        wa_message(
            "audio",
            "w2",
            {"mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": "aud1", "voice": True},
        ),
        ContentKind.VOICE,
        None,
        MediaRef(file_id="aud1", mime_type="audio/ogg; codecs=opus"),
        None,
    ),
    (
        "audio file",
        wa_message("audio", "w3", {"mime_type": "audio/mpeg", "id": "aud2", "voice": False}),
        ContentKind.AUDIO,
        None,
        MediaRef(file_id="aud2", mime_type="audio/mpeg"),
        None,
    ),
    (
        "image with caption",
        wa_message("image", "w4", IMAGE),
        ContentKind.PHOTO,
        "what is this?",
        MediaRef(file_id="img1", mime_type="image/jpeg"),
        None,
    ),
    (
        "image without caption",
        wa_message("image", "w5", {"mime_type": "image/png", "id": "img2"}),
        ContentKind.PHOTO,
        None,
        MediaRef(file_id="img2", mime_type="image/png"),
        None,
    ),
    (
        "video",
        wa_message("video", "w6", {"caption": "look", "mime_type": "video/mp4", "id": "vid1"}),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "video",
    ),
    (
        "image sent as a document",
        wa_message(
            "document",
            "w7",
            {
                "caption": "scan",
                "filename": "scan.png",
                "mime_type": "image/png",
                "id": "doc1",
                "file_size": 1234,
            },
        ),
        ContentKind.PHOTO,
        "scan",
        MediaRef(file_id="doc1", mime_type="image/png", size=1234, file_name="scan.png"),
        None,
    ),
    (
        "audio sent as a document",
        wa_message(
            "document", "w8", {"filename": "memo.m4a", "mime_type": "audio/mp4", "id": "doc2"}
        ),
        ContentKind.AUDIO,
        None,
        MediaRef(file_id="doc2", mime_type="audio/mp4", file_name="memo.m4a"),
        None,
    ),
    (
        "pdf document",
        wa_message(
            "document", "w9", {"filename": "a.pdf", "mime_type": "application/pdf", "id": "doc3"}
        ),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "document",
    ),
    (
        "sticker",
        wa_message("sticker", "w10", {"mime_type": "image/webp", "id": "st1", "animated": False}),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "sticker",
    ),
    (
        "location",
        wa_message(
            "location",
            "w11",
            {"latitude": 52.52, "longitude": 13.4, "name": "Berlin", "address": "Mitte"},
        ),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "location",
    ),
    (
        "contacts",
        {
            **wa_message("contacts", "w12"),
            "contacts": [{"name": {"formatted_name": "Bob"}, "phones": [{"phone": "+1555"}]}],
        },
        ContentKind.UNSUPPORTED,
        None,
        None,
        "contacts",
    ),
    (
        "heart reaction",
        wa_message("reaction", "w13", {"message_id": "wamid.OURS", "emoji": "❤️"}),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "reaction",
    ),
    (
        "button reply carrying a command",
        wa_message(
            "interactive",
            "w14",
            {"type": "button_reply", "button_reply": {"id": "/voice on", "title": "Voice"}},
            context={"from": "15550001111", "id": "wamid.OURS"},
        ),
        ContentKind.TEXT,
        "/voice on",
        None,
        None,
    ),
    (
        "button reply with a plain id",
        wa_message(
            "interactive",
            "w15",
            {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}},
        ),
        ContentKind.TEXT,
        "Yes",
        None,
        None,
    ),
    (
        "list reply",
        wa_message(
            "interactive",
            "w16",
            {
                "type": "list_reply",
                "list_reply": {
                    "id": "/mode text",
                    "title": "Text replies",
                    "description": "no voice",
                },
            },
        ),
        ContentKind.TEXT,
        "/mode text",
        None,
        None,
    ),
    (
        "flow reply",
        wa_message(
            "interactive",
            "w17",
            {
                "type": "nfm_reply",
                "nfm_reply": {"response_json": "{}", "body": "Sent", "name": "flow"},
            },
        ),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "interactive.nfm_reply",
    ),
    (
        "template quick-reply button",
        wa_message("button", "w18", {"payload": "No-Button-Payload", "text": "No"}),
        ContentKind.TEXT,
        "No",
        None,
        None,
    ),
    (
        "template button carrying a command",
        wa_message("button", "w19", {"payload": "/help", "text": "Help"}),
        ContentKind.TEXT,
        "/help",
        None,
        None,
    ),
    (
        "unsupported type with errors",
        wa_message(
            "unsupported",
            "w20",
            errors=[
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": {"details": "Message type is currently not supported."},
                }
            ],
        ),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "unsupported",
    ),
    (
        "unknown type with errors (older format)",
        wa_message(
            "unknown",
            "w21",
            errors=[
                {
                    "code": 131051,
                    "title": "Unsupported message type",
                    "details": "Message type is not currently supported",
                }
            ],
        ),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "unsupported",
    ),
    (
        "text with a referral from an ad",
        wa_message(
            "text",
            "w22",
            {"body": "I saw your ad"},
            referral={
                "source_url": "https://fb.me/x",
                "source_id": "ADID",
                "source_type": "ad",
                "headline": "Try it",
                "body": "desc",
                "media_type": "image",
                "image_url": "https://x/img",
                "ctwa_clid": "CLID",
            },
        ),
        ContentKind.TEXT,
        "I saw your ad",
        None,
        None,
    ),
    (
        "order",
        wa_message("order", "w23", {"catalog_id": "1", "product_items": []}),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "order",
    ),
    (
        "text without a body",
        wa_message("text", "w24", {}),
        ContentKind.UNSUPPORTED,
        None,
        None,
        "text",
    ),
]


@pytest.mark.parametrize(
    ("message", "kind", "text", "media", "unsupported"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_message_shapes(
    message: dict[str, Any],
    kind: ContentKind,
    text: str | None,
    media: MediaRef | None,
    unsupported: str | None,
) -> None:
    delivery = parse_webhook(wa_body(wa_value([message])))
    assert delivery.statuses == () and delivery.skipped == 0
    [parsed] = delivery.messages
    assert parsed.platform is Platform.WHATSAPP
    assert parsed.message_id == message["id"]
    assert (parsed.chat_id, parsed.user_id, parsed.user_name) == (USER, USER, USER_NAME)
    assert parsed.timestamp == datetime.fromtimestamp(int(message["timestamp"]), UTC)
    assert (parsed.kind, parsed.text, parsed.media, parsed.unsupported_type) == (
        kind,
        text,
        media,
        unsupported,
    )
    assert parsed.raw == message


def test_unsupported_content_is_never_turned_into_text() -> None:
    body = wa_body(wa_value([m for name, m, kind, *_ in CASES if kind is ContentKind.UNSUPPORTED]))
    for parsed in parse_webhook(body).messages:
        assert parsed.text is None and parsed.media is None and parsed.unsupported_type


def test_reply_context_and_forwarded_flags() -> None:
    quoted = wa_message(
        "text", "w1", {"body": "and this?"}, context={"from": USER, "id": "wamid.EARLIER"}
    )
    forwarded = wa_message(
        "text", "w2", {"body": "fwd"}, context={"forwarded": True, "frequently_forwarded": True}
    )
    first, second = parse_webhook(wa_body(wa_value([quoted, forwarded]))).messages
    assert first.reply_to_id == "wamid.EARLIER"
    assert second.reply_to_id is None
    assert second.raw["context"]["frequently_forwarded"] is True


def test_several_entries_changes_and_messages_keep_their_order() -> None:
    other = "4915112345678"
    body = wa_body(
        wa_value(
            [wa_message("text", "a1", {"body": "1"}), wa_message("text", "a2", {"body": "2"})]
        ),
        wa_value([wa_message("text", "b1", {"body": "3"}, sender=other)], names={other: "Grace"}),
    )
    body["entry"].append(
        {
            "id": "WABA2",
            "changes": [
                {"field": "messages", "value": wa_value(statuses=[wa_status("wamid.OUT", "read")])}
            ],
        }
    )
    delivery = parse_webhook(body)
    assert [m.message_id for m in delivery.messages] == ["a1", "a2", "b1"]
    assert delivery.messages[2].user_name == "Grace"
    assert [(s.message_id, s.status) for s in delivery.statuses] == [("wamid.OUT", "read")]


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "played"])
def test_statuses(status: str) -> None:
    delivery = parse_webhook(wa_body(wa_value(statuses=[wa_status("wamid.OUT", status)])))
    assert delivery.messages == ()
    [parsed] = delivery.statuses
    assert (parsed.message_id, parsed.status, parsed.recipient_id, parsed.error) == (
        "wamid.OUT",
        status,
        USER,
        None,
    )


def test_failed_status_carries_its_errors() -> None:
    errors = [
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {"details": "More than 24 hours have passed."},
        }
    ]
    body = wa_body(wa_value(statuses=[wa_status("wamid.OUT", "failed", errors=errors)]))
    [parsed] = parse_webhook(body).statuses
    assert parsed.status == "failed"
    assert parsed.error == "131047: Re-engagement message — More than 24 hours have passed."


@pytest.mark.parametrize(("emoji", "value"), [("👍", 1), ("👎", -1)])
def test_thumbs_reactions_are_feedback(emoji: str, value: int) -> None:
    reaction = wa_message("reaction", "w1", {"message_id": "wamid.OURS", "emoji": emoji})
    delivery = parse_webhook(wa_body(wa_value([reaction])))
    assert delivery.messages == ()
    [fb] = delivery.feedback
    assert (fb.chat_id, fb.platform_message_id, fb.value) == (USER, "wamid.OURS", value)
    assert fb.message.kind is ContentKind.UNSUPPORTED and fb.message.unsupported_type == "reaction"


@pytest.mark.parametrize(
    "field_name",
    [
        "account_update",
        "message_template_status_update",
        "calls",
        "flows",
        "phone_number_quality_update",
        "business_capability_update",
    ],
)
def test_other_fields_are_acknowledged_and_ignored(field_name: str) -> None:
    body = wa_body({"event": "SOMETHING", "id": "1"}, field_name=field_name)
    delivery = parse_webhook(body)
    assert (delivery.messages, delivery.statuses, delivery.skipped) == ((), (), 0)


def test_system_messages_are_not_answered() -> None:
    system = wa_message(
        "system",
        "w1",
        {"body": "User changed number", "type": "user_changed_number", "new_wa_id": "15559999999"},
    )
    delivery = parse_webhook(wa_body(wa_value([system])))
    assert (delivery.messages, delivery.skipped) == ((), 0)


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "w1", "timestamp": "1", "type": "text", "text": {"body": "no sender"}},
        {"from": USER, "timestamp": "1", "type": "text", "text": {"body": "no id"}},
        "not an object",
    ],
    ids=["no sender", "no id", "not an object"],
)
def test_malformed_messages_are_skipped_not_fatal(broken: Any) -> None:
    good = wa_message("text", "ok", {"body": "fine"})
    body = wa_body(wa_value([broken, good]))
    delivery = parse_webhook(body)
    assert [m.message_id for m in delivery.messages] == ["ok"]
    assert delivery.skipped == (1 if isinstance(broken, dict) else 0)


def test_garbled_timestamp_falls_back_to_now() -> None:
    before = datetime.now(UTC)
    message = wa_message("text", "w1", {"body": "x"}, ts="yesterday")
    [parsed] = parse_webhook(wa_body(wa_value([message]))).messages
    assert parsed.timestamp >= before


def test_file_size_as_string_or_garbage() -> None:
    doc = {"mime_type": "image/jpeg", "id": "d", "file_size": "2048"}
    bad = {"mime_type": "image/jpeg", "id": "e", "file_size": "big"}
    first, second = parse_webhook(
        wa_body(wa_value([wa_message("document", "1", doc), wa_message("document", "2", bad)]))
    ).messages
    assert first.media is not None and first.media.size == 2048
    assert second.media is not None and second.media.size is None


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {},
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": "nope"},
    ],
    ids=["null", "list", "string", "empty", "other object", "no entry", "entry not a list"],
)
def test_not_a_webhook(body: Any) -> None:
    with pytest.raises(NotAWebhook):
        parse_webhook(body)


def _corpus(name: str) -> Any:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return json.loads(path.read_text())


@pytest.mark.corpus
def test_corpus_incoming_text() -> None:
    [parsed] = parse_webhook(_corpus("meta_example_v25_incoming.json")).messages
    assert (parsed.kind, parsed.text) == (ContentKind.TEXT, "this is a text message")
    assert (parsed.chat_id, parsed.user_id) == ("16315551181", "16315551181")
    assert parsed.user_name == "test user name"
    assert parsed.timestamp == datetime.fromtimestamp(1504902988, UTC)


@pytest.mark.corpus
@pytest.mark.parametrize("status", ["sent", "delivered", "read"])
def test_corpus_statuses(status: str) -> None:
    delivery = parse_webhook(_corpus(f"meta_example_v25_{status}.json"))
    assert delivery.messages == ()
    assert [(s.message_id, s.status, s.error) for s in delivery.statuses] == [
        ("ABGGFlA5Fpa", status, None)
    ]
