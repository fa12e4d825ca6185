"""Update → IncomingMessage, table-driven on the recorded updates in data/, keyed by variant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.telegram.parse import BotIdentity, CallbackAction, Malformed, parse_update
from bot.models import ContentKind, IncomingMessage
from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME
from tests.support.corpus import TESTDATA
from tests.support.telegram_payloads import load, names

BOT = BotIdentity(id=BOT_ID, username=BOT_USERNAME)
GROUP_ID = "-1001234567890"

# variant (file under tests/adapters/telegram/data) → expected fields of the IncomingMessage
MESSAGES: dict[str, dict[str, Any]] = {
    "text": {
        "kind": ContentKind.TEXT,
        "text": "Hello there",
        "chat_id": "4242",
        "user_id": "4242",
        "message_id": "11",
        "locale": "de",
        "user_name": "Ada L",
        "is_group": False,
    },
    "voice": {
        "kind": ContentKind.VOICE,
        "text": None,
        "media.file_id": "VOICE1",
        "media.mime_type": "audio/ogg",
        "media.duration": 5.0,
        "media.size": 23000,
    },
    "voice_caption": {"kind": ContentKind.VOICE, "text": "listen"},
    "audio": {
        "kind": ContentKind.AUDIO,
        "media.file_name": "song.mp3",
        "media.mime_type": "audio/mpeg",
    },
    "video_note": {
        "kind": ContentKind.AUDIO,
        "media.file_id": "VN",
        "media.mime_type": "video/mp4",
    },
    "photo": {
        "kind": ContentKind.PHOTO,
        "text": "what is this?",
        "media.file_id": "PHOTO-l",
        "media.mime_type": "image/jpeg",
        "media.size": 98000,
    },
    "document_image": {"kind": ContentKind.PHOTO, "media.mime_type": "image/png"},
    "document_audio": {"kind": ContentKind.AUDIO, "media.file_name": "memo.ogg"},
    "document_pdf": {
        "kind": ContentKind.UNSUPPORTED,
        "unsupported_type": "document",
        "media": None,
    },
    "sticker": {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "sticker", "text": None},
    "location": {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "location"},
    "contact": {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "contact"},
    "poll": {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "poll"},
    "dice": {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "dice", "text": None},
    "reply": {"reply_to_id": "7", "reply_to_text": "the earlier words"},
    "reply_quote": {"reply_to_text": "earlier"},
    "reply_photo": {"reply_to_id": "8", "reply_to_text": "my cat"},
    "edited_message": {"message_id": "11", "text": "Hello again"},
    "command_for_us": {"text": "/voice joe"},
    "group_mention": {"text": "what time is it?", "is_group": True, "chat_id": GROUP_ID},
    "group_mention_uppercase": {"text": "hey hi"},
    "group_reply_to_bot": {"text": "thanks!", "reply_to_text": "an answer"},
    "group_command": {"text": "/help"},
    "group_command_for_us": {"text": "/new"},
    "group_photo_mention": {"kind": ContentKind.PHOTO, "text": "what is this"},
    "group_voice_reply_to_bot": {"kind": ContentKind.VOICE, "addressed": True},
    # its words may call the bot by name: the core hears it, then answers or drops it
    "group_voice": {"kind": ContentKind.VOICE, "is_group": True, "addressed": False},
    "group_text_mention": {"text": "Omnivox, hi"},
}

# variants that are not for us: parsed to None
DROPPED = (
    "group_chatter",
    "group_command_other_bot",
    "group_reply_to_member",
    "group_mention_lookalike",
    "group_from_bot",
    "service_write_access",
    "service_pinned",
    "service_new_members",
    "channel_post",
    "inline_query",
    "business_message",
    "malformed/business_message",  # not an update kind we read, malformed or not
)
# variants under data/malformed/ that cannot be read → the reason they are recorded with
MALFORMED = {
    "malformed/no_chat": "message.chat is missing",
    "malformed/lone_surrogate": "message.text is not valid Unicode (a lone surrogate)",
    "malformed/text_number": "message.text is not a string",
    "malformed/no_message_id": "message.message_id is missing",
    "malformed/voice_without_file_id": "message.voice.file_id is missing",
    "malformed/from_string": "message.from is not an object",
    "malformed/photo_strings": "message.photo[0] is not an object",
}
CALLBACKS = ("callback_feedback", "callback_command", "callback_group_command", "callback_unknown")


def _field(message: IncomingMessage, dotted: str) -> Any:
    value: Any = message
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("variant", list(MESSAGES))
def test_message_variants(variant: str) -> None:
    payload, expected = load(variant), MESSAGES[variant]
    parsed = parse_update(payload, BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.platform == "telegram"
    assert parsed.raw == payload
    for name, value in expected.items():
        assert _field(parsed, name) == value, name


@pytest.mark.parametrize("variant", DROPPED)
def test_dropped(variant: str) -> None:
    assert parse_update(load(variant), BOT) is None


@pytest.mark.parametrize("variant", list(MALFORMED))
def test_malformed_updates_are_named_not_raised(variant: str) -> None:
    assert parse_update(load(variant), BOT) == Malformed(MALFORMED[variant])


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ([1, 2], "the update is not a JSON object"),
        ({"update_id": 1, "message": "hello"}, "message is not an object"),
        (load("text", chat={"id": "4242", "type": "private"}), "message.chat.id is not an integer"),
        (load("text", message_id=True), "message.message_id is not an integer"),
        (load("voice", voice__duration="5"), "message.voice.duration is not a number"),
        (load("reply", reply_to_message__text=7), "message.reply_to_message.text is not a string"),
        (load("group_text_mention", entities=[{"type": "text_mention", "user": "me"}]),
         "message.entities[0].user is not an object"),
        (load("callback_feedback", data=["fb:+1"]), "callback_query.data is not a string"),
        (load("callback_feedback", **{"from": None}), "callback_query.from is not an object"),
        (load("edited_message", text={"a": 1}), "edited_message.text is not a string"),
    ],
    ids=["list", "message string", "chat id string", "message id bool", "duration string",
         "quoted text number", "mention user string", "button data list", "button from null",
         "edited text object"],
)  # fmt: skip
def test_more_malformed_shapes(update: Any, reason: str) -> None:
    assert parse_update(update, BOT) == Malformed(reason)


def test_a_lone_surrogate_in_a_key_is_found_and_not_quoted() -> None:
    parsed = parse_update(load("text", entities=[{"type": "bold", "\ud800": 1}]), BOT)
    assert isinstance(parsed, Malformed)
    assert parsed.reason == "message.entities[0] is not valid Unicode (a lone surrogate)"
    parsed.reason.encode("utf-8")  # safe to log


def test_every_recorded_update_is_in_a_table() -> None:
    recorded = {*MESSAGES, *DROPPED, *CALLBACKS}
    assert set(names()) == {name for name in recorded if not name.startswith("malformed/")}


def test_unsupported_content_is_never_turned_into_text() -> None:
    parsed = parse_update(load("dice"), BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.kind is ContentKind.UNSUPPORTED and parsed.unsupported_type == "dice"
    assert parsed.text is None


def test_timestamp_is_utc() -> None:
    parsed = parse_update(load("text"), BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.timestamp.isoformat() == "2025-01-01T12:00:00+00:00"


def test_an_edit_is_dated_when_it_was_edited() -> None:
    parsed = parse_update(load("edited_message"), BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.timestamp.isoformat() == "2025-01-01T12:01:40+00:00"


@pytest.mark.parametrize(
    ("variant", "data", "feedback", "command_text"),
    [
        ("callback_feedback", "fb:+1:42", 1, None),
        ("callback_feedback", "fb:-1:42", -1, None),
        ("callback_feedback", "fb:-1", -1, None),
        ("callback_feedback", "fb:0:42", None, None),
        ("callback_command", "/voice fake:alto", None, "/voice fake:alto"),
        ("callback_command", f"/mode@{BOT_USERNAME} text", None, "/mode text"),
        ("callback_unknown", "something else", None, None),
    ],
)
def test_button_presses(
    variant: str, data: str, feedback: int | None, command_text: str | None
) -> None:
    parsed = parse_update(load(variant, data=data), BOT)
    assert isinstance(parsed, CallbackAction)
    assert (parsed.query_id, parsed.chat_id, parsed.message_id) == ("77001", "4242", "5001")
    assert parsed.feedback == feedback
    if command_text is None:
        assert parsed.command is None
    else:
        assert parsed.command is not None
        assert parsed.command.text == command_text
        assert parsed.command.kind is ContentKind.TEXT
        assert parsed.command.message_id == "cb:77001"


def test_button_in_a_group_keeps_the_group_chat() -> None:
    parsed = parse_update(load("callback_group_command"), BOT)
    assert isinstance(parsed, CallbackAction) and parsed.command is not None
    assert parsed.command.chat_id == GROUP_ID and parsed.command.is_group


CORPUS = TESTDATA / "telegram" / "updates"
CORPUS_EXPECTED = {
    "ha_update_message_attachment_document.json": ContentKind.UNSUPPORTED,
    "ha_update_message_attachment_photo.json": ContentKind.PHOTO,
    "tgdoc_edited_message.json": ContentKind.TEXT,
    "tgdoc_forwarded_channel_message.json": ContentKind.TEXT,
    "tgdoc_forwarded_message.json": ContentKind.TEXT,
    "tgdoc_message_audio.json": ContentKind.AUDIO,
    "tgdoc_message_document.json": ContentKind.UNSUPPORTED,
    "tgdoc_message_text.json": ContentKind.TEXT,
    "tgdoc_message_text_curl_no_chat_type.json": ContentKind.TEXT,
    "tgdoc_message_voice.json": ContentKind.VOICE,
    "tgdoc_message_with_entities.json": ContentKind.TEXT,
    "tgdoc_message_with_reply.json": ContentKind.TEXT,
}
CORPUS_NOT_MESSAGES = (
    "tgdoc_callback_query.json",
    "tgdoc_chosen_inline_result.json",
    "tgdoc_inline_query.json",
)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_messages(name: str) -> None:
    payload = json.loads((CORPUS / name).read_text())
    parsed = parse_update(payload, BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.kind is CORPUS_EXPECTED[name]
    body = payload.get("message") or payload.get("edited_message")
    assert parsed.message_id == str(body["message_id"])
    assert parsed.chat_id == str(body["chat"]["id"])
    if "reply_to_message" in body:
        assert parsed.reply_to_id == str(body["reply_to_message"]["message_id"])


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_NOT_MESSAGES)
def test_corpus_other_updates(name: str) -> None:
    parsed = parse_update(json.loads((CORPUS / name).read_text()), BOT)
    if name == "tgdoc_callback_query.json":  # an inline-message button: no chat message, no command
        assert isinstance(parsed, CallbackAction)
        assert parsed.command is None and parsed.feedback is None
    else:
        assert parsed is None


@pytest.mark.corpus
def test_corpus_is_complete() -> None:
    names = {p.name for p in CORPUS.glob("*.json")}
    assert names <= set(CORPUS_EXPECTED) | set(CORPUS_NOT_MESSAGES), names
