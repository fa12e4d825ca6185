"""Recorded-style Bot API updates (current schema) for the parser and end-to-end tests."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME

USER = {
    "id": 4242,
    "is_bot": False,
    "first_name": "Ada",
    "last_name": "L",
    "username": "ada",
    "language_code": "de",
}
PRIVATE = {"id": 4242, "type": "private", "first_name": "Ada", "username": "ada"}
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Friends"}
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Omnivox", "username": BOT_USERNAME}


def message(chat: dict[str, Any] = PRIVATE, message_id: int = 11, **content: Any) -> dict[str, Any]:
    return {"message_id": message_id, "date": 1735732800, "chat": chat, "from": USER, **content}


def update(**fields: Any) -> dict[str, Any]:
    return {"update_id": 900001, **fields}


def voice(file_id: str = "VOICE1", size: int = 23000, duration: int = 5) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "file_unique_id": "uv",
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": size,
    }


def photo_sizes(file_id: str = "PHOTO") -> list[dict[str, Any]]:
    return [
        {
            "file_id": f"{file_id}-s",
            "file_unique_id": "a",
            "file_size": 1200,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": f"{file_id}-l",
            "file_unique_id": "c",
            "file_size": 98000,
            "width": 1280,
            "height": 960,
        },
        {
            "file_id": f"{file_id}-m",
            "file_unique_id": "b",
            "file_size": 21000,
            "width": 320,
            "height": 240,
        },
    ]


def mention_entity(text: str) -> list[dict[str, Any]]:
    at = text.index(f"@{BOT_USERNAME}")
    return [{"type": "mention", "offset": at, "length": len(BOT_USERNAME) + 1}]


def callback(
    data: str, *, chat: dict[str, Any] = PRIVATE, message_id: int = 5001
) -> dict[str, Any]:
    carrier = {
        "message_id": message_id,
        "date": 1735732801,
        "chat": chat,
        "from": BOT_USER,
        "text": "Pick a voice",
    }
    return {"id": "77001", "from": USER, "chat_instance": "-9", "data": data, "message": carrier}
