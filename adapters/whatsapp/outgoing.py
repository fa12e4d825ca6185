"""Request bodies for the messages we send, within WhatsApp's documented limits. Pure.

Limits: text bodies 4096 characters; interactive bodies 1024; at most 3 reply
buttons with titles of 20; list messages with at most 10 rows, row titles of
24 and descriptions of 72, a button label of 20.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.text import chunk_text
from bot.models import Choice

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
LIST_BUTTON_LABEL = "Options"
CHOICES_PROMPT = "Choose one:"


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """WhatsApp-sized chunks: at most `limit` characters each, fences kept balanced."""
    return chunk_text(text, limit)


def _with_context(payload: dict[str, Any], reply_to_id: str | None) -> dict[str, Any]:
    if reply_to_id:
        payload["context"] = {"message_id": reply_to_id}
    return payload


def text(to: str, body: str, reply_to_id: str | None = None) -> dict[str, Any]:
    payload = {"to": to, "type": "text", "text": {"preview_url": False, "body": body}}
    return _with_context(payload, reply_to_id)


def audio(to: str, media_id: str, reply_to_id: str | None = None) -> dict[str, Any]:
    """A voice note: OGG/Opus shown with a play button and waveform."""
    payload = {"to": to, "type": "audio", "audio": {"id": media_id, "voice": True}}
    return _with_context(payload, reply_to_id)


def document(
    to: str, media_id: str, file_name: str, reply_to_id: str | None = None
) -> dict[str, Any]:
    payload = {"to": to, "type": "document", "document": {"id": media_id, "filename": file_name}}
    return _with_context(payload, reply_to_id)


def template(to: str, name: str, language: str) -> dict[str, Any]:
    """An approved message template: the one kind of message allowed outside the
    24-hour window."""
    return {"to": to, "type": "template",
            "template": {"name": name, "language": {"code": language}}}  # fmt: skip


def fits_buttons(choices: Sequence[Choice]) -> bool:
    return len(choices) <= MAX_BUTTONS and all(
        0 < len(c.label) <= BUTTON_TITLE_LIMIT for c in choices
    )


def interactive(
    to: str, body: str, choices: Sequence[Choice], reply_to_id: str | None = None
) -> dict[str, Any]:
    """Reply buttons when they fit, else a list; either way each id is the command."""
    body = _clip(body or CHOICES_PROMPT, INTERACTIVE_BODY_LIMIT)
    if fits_buttons(choices):
        buttons = [{"type": "reply", "reply": {"id": c.command, "title": c.label}} for c in choices]
        action: dict[str, Any] = {"buttons": buttons}
        kind = "button"
    else:
        section = {"title": LIST_BUTTON_LABEL, "rows": _rows(choices)}
        action = {"button": LIST_BUTTON_LABEL, "sections": [section]}
        kind = "list"
    payload = {
        "to": to,
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": body}, "action": action},
    }
    return _with_context(payload, reply_to_id)


def _rows(choices: Sequence[Choice]) -> list[dict[str, str]]:
    rows = []
    for choice in choices[:MAX_ROWS]:
        row = {"id": choice.command, "title": _clip(choice.label, ROW_TITLE_LIMIT)}
        if len(choice.label) > ROW_TITLE_LIMIT:
            row["description"] = _clip(choice.label, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    return rows


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
