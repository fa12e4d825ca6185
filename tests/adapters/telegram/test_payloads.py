"""The recorded updates: in the spec's current schema, entities where they say, loadable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.telegram_server import SPEC_PATH
from tests.support.telegram_payloads import body, load, names
from tests.support.telegram_schema import BotApiTypes


@pytest.fixture(scope="module")
def spec() -> BotApiTypes:
    return BotApiTypes(SPEC_PATH)


@pytest.mark.corpus
@pytest.mark.parametrize("name", names())
def test_payload_has_the_current_schema(spec: BotApiTypes, name: str) -> None:
    assert spec.problems(load(name), "Update", "update") == []


@pytest.mark.corpus
def test_schema_check_finds_what_is_wrong(spec: BotApiTypes) -> None:
    broken = load("voice", voice__duration="5", colour="red")
    assert sorted(spec.problems(broken, "Update", "update")) == [
        "update.message.colour: not a field of Message",
        "update.message.voice.duration: '5' is not Integer",
    ]
    assert spec.problems(load("malformed/no_chat"), "Update", "update") == [
        "update.message.chat: required by Message, missing"
    ]


def _messages(content: dict[str, Any]) -> list[dict[str, Any]]:
    """The message and every message inside it (replies, pins, a button's carrier)."""
    found = [content] if "date" in content else []
    for key in ("message", "reply_to_message", "pinned_message"):
        if isinstance(inner := content.get(key), dict):
            found += _messages(inner)
    return found


@pytest.mark.parametrize("name", names())
def test_entities_cover_what_they_name(name: str) -> None:
    for message in _messages(body(load(name))):
        for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
            units = message.get(text_key, "").encode("utf-16-le")
            for entity in message.get(entities_key, []):
                start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
                covered = units[start:end].decode("utf-16-le")
                assert len(covered) == entity["length"], (name, entity)
                first = {"mention": "@", "bot_command": "/"}.get(entity["type"])
                if first:
                    assert covered.startswith(first) and " " not in covered, (name, covered)


def test_changes_apply_inside_the_payload_and_do_not_stick() -> None:
    changed = load("voice", message_id=12, voice__file_size=9, caption="new")
    assert (changed["message"]["message_id"], changed["message"]["caption"]) == (12, "new")
    assert changed["message"]["voice"]["file_size"] == 9
    assert load("voice")["message"]["voice"]["file_size"] == 23000
    assert "caption" not in load("voice")["message"]


def test_a_path_not_in_the_payload_is_an_error() -> None:
    with pytest.raises(KeyError):
        load("text", voice__file_size=9)


def test_body_is_the_one_payload() -> None:
    assert body(load("callback_feedback"))["data"] == "fb:+1:42"
    assert "malformed/no_chat" not in names() and "text" in names()
