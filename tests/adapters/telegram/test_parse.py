"""Update → IncomingMessage, table-driven on recorded-style payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.telegram.parse import BotIdentity, CallbackAction, parse_update
from bot.models import ContentKind, IncomingMessage
from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME
from tests.support.corpus import TESTDATA
from tests.support.telegram_updates import (
    BOT_USER,
    GROUP,
    callback,
    mention_entity,
    message,
    photo_sizes,
    update,
    voice,
)

BOT = BotIdentity(id=BOT_ID, username=BOT_USERNAME)
AT = f"@{BOT_USERNAME}"

# variant → (update, expected fields of the IncomingMessage)
MESSAGES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "text": (
        update(message=message(text="Hello there")),
        {
            "kind": ContentKind.TEXT,
            "text": "Hello there",
            "chat_id": "4242",
            "user_id": "4242",
            "message_id": "11",
            "locale": "de",
            "user_name": "Ada L",
            "is_group": False,
        },
    ),
    "voice": (
        update(message=message(voice=voice())),
        {
            "kind": ContentKind.VOICE,
            "text": None,
            "media.file_id": "VOICE1",
            "media.mime_type": "audio/ogg",
            "media.duration": 5.0,
            "media.size": 23000,
        },
    ),
    "voice with caption": (
        update(message=message(voice=voice(), caption="listen")),
        {"kind": ContentKind.VOICE, "text": "listen"},
    ),
    "audio file": (
        update(
            message=message(
                audio={
                    "file_id": "AUD",
                    "file_unique_id": "u",
                    "duration": 200,
                    "mime_type": "audio/mpeg",
                    "file_name": "song.mp3",
                }
            )
        ),
        {"kind": ContentKind.AUDIO, "media.file_name": "song.mp3", "media.mime_type": "audio/mpeg"},
    ),
    "video note": (
        update(
            message=message(
                video_note={
                    "file_id": "VN",
                    "file_unique_id": "u",
                    "length": 240,
                    "duration": 7,
                    "file_size": 300000,
                }
            )
        ),
        {"kind": ContentKind.AUDIO, "media.file_id": "VN", "media.mime_type": "video/mp4"},
    ),
    "photo, largest size": (
        update(message=message(photo=photo_sizes(), caption="what is this?")),
        {
            "kind": ContentKind.PHOTO,
            "text": "what is this?",
            "media.file_id": "PHOTO-l",
            "media.mime_type": "image/jpeg",
            "media.size": 98000,
        },
    ),
    "image as document": (
        update(
            message=message(
                document={
                    "file_id": "DOC",
                    "file_unique_id": "u",
                    "file_name": "scan.png",
                    "mime_type": "image/png",
                }
            )
        ),
        {"kind": ContentKind.PHOTO, "media.mime_type": "image/png"},
    ),
    "audio as document": (
        update(
            message=message(
                document={
                    "file_id": "DOC",
                    "file_unique_id": "u",
                    "file_name": "memo.ogg",
                    "mime_type": "audio/ogg",
                }
            )
        ),
        {"kind": ContentKind.AUDIO, "media.file_name": "memo.ogg"},
    ),
    "pdf document": (
        update(
            message=message(
                document={"file_id": "DOC", "file_unique_id": "u", "mime_type": "application/pdf"}
            )
        ),
        {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "document", "media": None},
    ),
    "sticker": (
        update(
            message=message(
                sticker={
                    "file_id": "S",
                    "file_unique_id": "u",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "😀",
                }
            )
        ),
        {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "sticker", "text": None},
    ),
    "location": (
        update(message=message(location={"latitude": 52.52, "longitude": 13.4})),
        {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "location"},
    ),
    "contact": (
        update(message=message(contact={"phone_number": "+4930", "first_name": "Bo"})),
        {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "contact"},
    ),
    "poll": (
        update(
            message=message(
                poll={
                    "id": "1",
                    "question": "Tea?",
                    "options": [],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                }
            )
        ),
        {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "poll"},
    ),
    "reply to a message": (
        update(
            message=message(
                text="and this?", reply_to_message=message(message_id=7, text="the earlier words")
            )
        ),
        {"reply_to_id": "7", "reply_to_text": "the earlier words"},
    ),
    "reply with a quote": (
        update(
            message=message(
                text="why?",
                quote={"text": "earlier", "position": 4},
                reply_to_message=message(message_id=7, text="the earlier words"),
            )
        ),
        {"reply_to_text": "earlier"},
    ),
    "reply to a photo": (
        update(
            message=message(
                text="nice",
                reply_to_message=message(message_id=8, photo=photo_sizes(), caption="my cat"),
            )
        ),
        {"reply_to_id": "8", "reply_to_text": "my cat"},
    ),
    "edited message keeps the original id": (
        update(edited_message=message(message_id=11, text="Hello again", edit_date=1735732900)),
        {"message_id": "11", "text": "Hello again"},
    ),
    "command addressed to us": (
        update(message=message(text=f"/voice{AT} joe")),
        {"text": "/voice joe"},
    ),
    "group: mention is stripped": (
        update(
            message=message(
                GROUP,
                text=f"{AT} what time is it?",
                entities=mention_entity(f"{AT} what time is it?"),
            )
        ),
        {"text": "what time is it?", "is_group": True, "chat_id": str(GROUP["id"])},
    ),
    "group: mention is case-insensitive": (
        update(message=message(GROUP, text=f"hey @{BOT_USERNAME.upper()} hi")),
        {"text": "hey hi"},
    ),
    "group: reply to the bot": (
        update(
            message=message(
                GROUP,
                text="thanks!",
                reply_to_message={
                    "message_id": 5,
                    "date": 1,
                    "chat": GROUP,
                    "from": BOT_USER,
                    "text": "an answer",
                },
            )
        ),
        {"text": "thanks!", "reply_to_text": "an answer"},
    ),
    "group: bare command": (update(message=message(GROUP, text="/help")), {"text": "/help"}),
    "group: command for us": (update(message=message(GROUP, text=f"/new{AT}")), {"text": "/new"}),
    "group: photo whose caption mentions us": (
        update(message=message(GROUP, photo=photo_sizes(), caption=f"{AT} what is this")),
        {"kind": ContentKind.PHOTO, "text": "what is this"},
    ),
    "group: voice replying to us": (
        update(
            message=message(
                GROUP,
                voice=voice(),
                reply_to_message={
                    "message_id": 5,
                    "date": 1,
                    "chat": GROUP,
                    "from": BOT_USER,
                    "text": "hi",
                },
            )
        ),
        {"kind": ContentKind.VOICE},
    ),
    "group: text mention of us": (
        update(
            message=message(
                GROUP,
                text="Omnivox, hi",
                entities=[{"type": "text_mention", "offset": 0, "length": 7, "user": BOT_USER}],
            )
        ),
        {"text": "Omnivox, hi"},
    ),
}

DROPPED: dict[str, dict[str, Any]] = {
    "group: no mention": update(message=message(GROUP, text="lunch at noon?")),
    "group: command for another bot": update(message=message(GROUP, text="/help@other_bot")),
    "group: voice without reply": update(message=message(GROUP, voice=voice())),
    "group: reply to another member": update(
        message=message(
            GROUP, text="ok", reply_to_message=message(GROUP, message_id=3, text="hello")
        )
    ),
    "group: someone else's name containing ours": update(
        message=message(GROUP, text=f"ping @{BOT_USERNAME}_fan")
    ),
    "service message": update(message=message(new_chat_members=[BOT_USER])),
    "pinned message": update(message=message(pinned_message=message(text="x"))),
    "message from a bot": update(message={**message(text="hi"), "from": BOT_USER}),
    "channel post": update(
        channel_post={
            "message_id": 1,
            "date": 1,
            "chat": {"id": -100, "type": "channel"},
            "text": "news",
        }
    ),
    "inline query": update(
        inline_query={"id": "1", "from": message()["from"], "query": "x", "offset": ""}
    ),
    "no chat": update(message={"message_id": 1, "date": 1, "text": "x"}),
}


def _field(message: IncomingMessage, dotted: str) -> Any:
    value: Any = message
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("variant", list(MESSAGES))
def test_message_variants(variant: str) -> None:
    payload, expected = MESSAGES[variant]
    parsed = parse_update(payload, BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.platform == "telegram"
    assert parsed.raw == payload
    for name, value in expected.items():
        assert _field(parsed, name) == value, name


@pytest.mark.parametrize("variant", list(DROPPED))
def test_dropped(variant: str) -> None:
    assert parse_update(DROPPED[variant], BOT) is None


def test_unsupported_content_is_never_turned_into_text() -> None:
    parsed = parse_update(update(message=message(dice={"emoji": "🎲", "value": 3})), BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.kind is ContentKind.UNSUPPORTED and parsed.unsupported_type == "dice"
    assert parsed.text is None


def test_timestamp_is_utc() -> None:
    parsed = parse_update(update(message=message(text="x")), BOT)
    assert isinstance(parsed, IncomingMessage)
    assert parsed.timestamp.isoformat() == "2025-01-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("data", "feedback", "command_text"),
    [
        ("fb:+1:42", 1, None),
        ("fb:-1:42", -1, None),
        ("fb:-1", -1, None),
        ("fb:0:42", None, None),
        ("/voice fake:alto", None, "/voice fake:alto"),
        (f"/mode@{BOT_USERNAME} text", None, "/mode text"),
        ("something else", None, None),
    ],
)
def test_button_presses(data: str, feedback: int | None, command_text: str | None) -> None:
    parsed = parse_update(update(callback_query=callback(data)), BOT)
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
    parsed = parse_update(update(callback_query=callback("/new", chat=GROUP)), BOT)
    assert isinstance(parsed, CallbackAction) and parsed.command is not None
    assert parsed.command.chat_id == str(GROUP["id"]) and parsed.command.is_group


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
