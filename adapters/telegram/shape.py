"""Is an update shaped the way `parse` reads it? If not, the reason, before anything reads it.

An update whose handling raises is never acknowledged, so Telegram offers it again and again
and every later message waits behind it. Telegram's own updates fit the Bot API types; one
that does not (a number where text goes, a photo that is a list of strings, a sender that is
a string, text that is not valid Unicode) is found here and named, so it can be recorded as
failed and acknowledged. Only the fields the parser reads are checked, with their Bot API
types; anything else in the update is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Obj:
    """A JSON object: the type of each field read, and which must be there."""

    fields: Mapping[str, Any]
    required: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ListOf:
    item: Any


Number = (int, float)

USER = Obj(
    {"id": int, "is_bot": bool, "first_name": str, "last_name": str, "username": str,
     "language_code": str},
    frozenset({"id"}),
)  # fmt: skip
CHAT = Obj(
    {"id": int, "type": str, "title": str, "username": str, "first_name": str, "last_name": str},
    frozenset({"id"}),
)
FILE = Obj(
    {"file_id": str, "file_size": int, "duration": Number, "mime_type": str, "file_name": str,
     "width": int, "height": int},
    frozenset({"file_id"}),
)  # fmt: skip
ENTITY = Obj({"type": str, "user": USER})
REPLIED = Obj({"message_id": int, "from": USER, "text": str, "caption": str})
MESSAGE = Obj(
    {"message_id": int, "chat": CHAT, "from": USER, "sender_chat": CHAT, "text": str,
     "caption": str, "voice": FILE, "audio": FILE, "video_note": FILE, "document": FILE,
     "photo": ListOf(FILE), "reply_to_message": REPLIED, "quote": Obj({"text": str}),
     "entities": ListOf(ENTITY), "caption_entities": ListOf(ENTITY)},
    frozenset({"message_id", "chat"}),
)  # fmt: skip
CALLBACK = Obj(
    {"id": str, "from": USER, "data": str, "message": Obj({"message_id": int, "chat": CHAT})},
    frozenset({"id", "from"}),
)
PAYLOADS = {"message": MESSAGE, "edited_message": MESSAGE, "callback_query": CALLBACK}


def update_problem(update: object) -> str | None:
    """Why the update cannot be read, or None. Payloads we do not read are not checked."""
    if not isinstance(update, Mapping):
        return "the update is not a JSON object"
    for key, spec in PAYLOADS.items():
        if key in update:
            return _problem(update[key], spec, key) or _bad_text(update[key], key)
    return None


def _problem(value: Any, spec: Any, where: str) -> str | None:
    if isinstance(spec, Obj):
        if not isinstance(value, Mapping):
            return f"{where} is not an object"
        missing = sorted(spec.required - value.keys())
        if missing:
            return f"{where}.{missing[0]} is missing"
        for name, inner in spec.fields.items():
            if name in value and (problem := _problem(value[name], inner, f"{where}.{name}")):
                return problem
        return None
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return f"{where} is not a list"
        for index, item in enumerate(value):
            if problem := _problem(item, spec.item, f"{where}[{index}]"):
                return problem
        return None
    wanted = spec if isinstance(spec, tuple) else (spec,)
    if isinstance(value, bool) and bool not in wanted:  # an int to Python, not to the Bot API
        return f"{where} is not {_name(wanted)}"
    return None if isinstance(value, wanted) else f"{where} is not {_name(wanted)}"


def _name(types: tuple[type, ...]) -> str:
    if types == Number:
        return "a number"
    return {int: "an integer", bool: "true or false", str: "a string"}.get(types[0], "valid")


def _label(key: object) -> str:
    """A key as it may appear in a reason: names only, never arbitrary text from the update."""
    return key if isinstance(key, str) and key.isascii() and key.isidentifier() else "…"


def _bad_text(value: Any, where: str) -> str | None:
    """Where a string holds a lone surrogate (JSON can escape one; UTF-8 cannot store it)."""
    pending: list[tuple[str, Any]] = [(where, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return f"{path} is not valid Unicode (a lone surrogate)"
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                pending += [(path, key), (f"{path}.{_label(key)}", inner)]
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", inner) for index, inner in enumerate(item))
    return None
