"""Cloud API webhook body → our messages, delivery reports and feedback. Pure: no I/O.

Meta batches freely: one POST may carry several entries, each with several
changes, each with several messages and statuses. A malformed message inside
an otherwise valid body is skipped (and counted) rather than failing the whole
delivery, because a non-200 answer makes Meta redeliver the good ones too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.timestamps import epoch_to_utc
from bot.models import ContentKind, IncomingMessage, MediaRef, Platform

WEBHOOK_OBJECT = "whatsapp_business_account"
FEEDBACK_EMOJI = {"👍": 1, "👎": -1}
# Notifications about the account, not something a person said to us.
_IGNORED_TYPES = frozenset({"system", "request_welcome"})


class NotAWebhook(ValueError):
    """The body is not a WhatsApp Business Account webhook (answer 400)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """Meta's report on something we sent: sent, delivered, read, played or failed."""

    message_id: str
    status: str
    recipient_id: str | None
    timestamp: datetime
    error: str | None = None
    error_codes: tuple[int, ...] = ()
    callback_data: str | None = None  # our `biz_opaque_callback_data`, echoed back


@dataclass(frozen=True, slots=True, kw_only=True)
class Feedback:
    """A 👍/👎 reaction. `message` is the same reaction as an unsupported message,
    used when the reacted-to message is not one of our replies."""

    chat_id: str
    platform_message_id: str
    value: int
    message: IncomingMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    messages: tuple[IncomingMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    skipped: int = 0


def parse_webhook(body: Any) -> Delivery:
    """Everything one webhook POST carries. Raises NotAWebhook for anything else."""
    if not isinstance(body, dict) or body.get("object") != WEBHOOK_OBJECT:
        raise NotAWebhook("not a whatsapp_business_account webhook")
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise NotAWebhook("webhook without an entry list")
    messages: list[IncomingMessage] = []
    statuses: list[StatusUpdate] = []
    feedback: list[Feedback] = []
    skipped = 0
    for value in _message_values(entries):
        names = _contact_names(value.get("contacts"))
        for raw in _dicts(value.get("messages")):
            if not _storable(raw):
                skipped += 1
                continue
            item = parse_message(raw, names)
            if item is None:
                skipped += _type(raw) not in _IGNORED_TYPES
            elif isinstance(item, Feedback):
                feedback.append(item)
            else:
                messages.append(item)
        for raw in _dicts(value.get("statuses")):
            status = parse_status(raw)
            if status is None:
                skipped += 1
            else:
                statuses.append(status)
    return Delivery(
        messages=tuple(messages),
        statuses=tuple(statuses),
        feedback=tuple(feedback),
        skipped=skipped,
    )


def _type(raw: Mapping[str, Any]) -> str | None:
    """The message's type; anything but a string (a list, an object) names no type."""
    mtype = raw.get("type")
    return mtype if isinstance(mtype, str) else None


def _text(value: Any) -> str | None:
    """A field that holds text (a caption, a quoted id), or None when it holds anything else."""
    return value if isinstance(value, str) else None


def _storable(raw: Mapping[str, Any]) -> bool:
    """False when a string in it holds a lone surrogate: JSON can escape one, but no
    database can store it, so the message is skipped rather than failing the whole body."""
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
        return False
    return True


def _message_values(entries: list[Any]) -> list[Mapping[str, Any]]:
    """The `value` of every `messages` change; other fields are acknowledged and ignored."""
    values: list[Mapping[str, Any]] = []
    for entry in _dicts(entries):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") == "messages" and isinstance(value, dict):
                values.append(value)
    return values


def _dicts(items: Any) -> list[Mapping[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _contact_names(contacts: Any) -> dict[str, str]:
    names = {}
    for contact in _dicts(contacts):
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        for key in ("wa_id", "user_id"):
            if isinstance(contact.get(key), str) and isinstance(name, str):
                names[contact[key]] = name
    return names


def parse_message(
    raw: Mapping[str, Any], names: Mapping[str, str]
) -> IncomingMessage | Feedback | None:
    """One entry of `messages`; None when it is unusable or not addressed to us."""
    wamid = raw.get("id")
    sender = raw.get("from") or raw.get("from_user_id")
    mtype = _type(raw)
    if not (isinstance(wamid, str) and wamid and isinstance(sender, str) and sender):
        return None
    if mtype in _IGNORED_TYPES:
        return None
    context = raw.get("context")
    base: dict[str, Any] = {
        "platform": Platform.WHATSAPP,
        "message_id": wamid,
        "chat_id": sender,
        "user_id": sender,
        "user_name": names.get(sender) or names.get(str(raw.get("from_user_id"))),
        "timestamp": epoch_to_utc(raw.get("timestamp")),
        "reply_to_id": _text(context.get("id")) if isinstance(context, dict) else None,
        "raw": raw,
    }
    if raw.get("errors"):
        return _unsupported(base, mtype if mtype not in (None, "unknown") else "unsupported")
    message = IncomingMessage(**base, **_content(raw, mtype))
    if mtype == "reaction":
        return _feedback(raw, message) or message
    return message


def _content(raw: Mapping[str, Any], mtype: Any) -> dict[str, Any]:
    """kind, text, media (and unsupported_type) for one message type."""
    body = raw.get(mtype) if isinstance(mtype, str) else None
    body = body if isinstance(body, dict) else {}
    if mtype == "text" and isinstance(body.get("body"), str):
        return {"kind": ContentKind.TEXT, "text": body["body"]}
    if mtype == "audio" and body.get("id"):
        kind = ContentKind.VOICE if body.get("voice") else ContentKind.AUDIO
        return {"kind": kind, "media": _media(body)}
    if mtype == "image" and body.get("id"):
        return {"kind": ContentKind.PHOTO, "text": _text(body.get("caption")),
                "media": _media(body)}  # fmt: skip
    if mtype == "document" and body.get("id"):
        return _document(body)
    if mtype == "interactive":
        return _choice(body.get(str(body.get("type"))), "title", f"interactive.{body.get('type')}")
    if mtype == "button":
        return _choice(body, "text", "button", id_key="payload")
    return {"kind": ContentKind.UNSUPPORTED, "unsupported_type": str(mtype or "unsupported")}


def _document(body: Mapping[str, Any]) -> dict[str, Any]:
    """An image or audio sent "as a file" is treated as a photo or audio."""
    mime = str(body.get("mime_type") or "").lower()
    caption = _text(body.get("caption"))
    if mime.startswith("image/"):
        return {"kind": ContentKind.PHOTO, "text": caption, "media": _media(body)}
    if mime.startswith("audio/"):
        return {"kind": ContentKind.AUDIO, "text": caption, "media": _media(body)}
    return {"kind": ContentKind.UNSUPPORTED, "unsupported_type": "document"}


def _choice(reply: Any, label_key: str, kind: str, id_key: str = "id") -> dict[str, Any]:
    """A tapped button or list row. Our own choices carry a command as their id."""
    if not isinstance(reply, dict):
        return {"kind": ContentKind.UNSUPPORTED, "unsupported_type": kind}
    ident, label = reply.get(id_key), reply.get(label_key)
    if isinstance(ident, str) and ident.startswith("/"):
        return {"kind": ContentKind.TEXT, "text": ident}
    text = label if isinstance(label, str) and label else ident
    if not isinstance(text, str) or not text:
        return {"kind": ContentKind.UNSUPPORTED, "unsupported_type": kind}
    return {"kind": ContentKind.TEXT, "text": text}


def _media(body: Mapping[str, Any]) -> MediaRef:
    size = body.get("file_size")
    return MediaRef(
        file_id=str(body["id"]),
        mime_type=body.get("mime_type") if isinstance(body.get("mime_type"), str) else None,
        size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        file_name=body.get("filename") if isinstance(body.get("filename"), str) else None,
    )


def _unsupported(base: dict[str, Any], what: str) -> IncomingMessage:
    return IncomingMessage(**base, kind=ContentKind.UNSUPPORTED, unsupported_type=what)


def _feedback(raw: Mapping[str, Any], message: IncomingMessage) -> Feedback | None:
    reaction = raw.get("reaction")
    if not isinstance(reaction, dict):
        return None
    value = FEEDBACK_EMOJI.get(str(reaction.get("emoji", "")).strip())
    target = reaction.get("message_id")
    if value is None or not isinstance(target, str):
        return None
    return Feedback(
        chat_id=message.chat_id, platform_message_id=target, value=value, message=message
    )


def parse_status(raw: Mapping[str, Any]) -> StatusUpdate | None:
    wamid, status = raw.get("id"), raw.get("status")
    if not (isinstance(wamid, str) and wamid and isinstance(status, str) and status):
        return None
    recipient = raw.get("recipient_id")
    callback = raw.get("biz_opaque_callback_data")
    return StatusUpdate(
        message_id=wamid,
        status=status,
        recipient_id=recipient if isinstance(recipient, str) else None,
        timestamp=epoch_to_utc(raw.get("timestamp")),
        error=describe_errors(raw.get("errors")),
        error_codes=tuple(
            err["code"] for err in _dicts(raw.get("errors"))
            if isinstance(err.get("code"), int) and not isinstance(err.get("code"), bool)
        ),
        callback_data=callback if isinstance(callback, str) else None,
    )


def describe_errors(errors: Any) -> str | None:
    """`[{code, title, message, error_data: {details}}]` → one line for our records."""
    parts = []
    for err in _dicts(errors):
        data = err.get("error_data")
        details = data.get("details") if isinstance(data, dict) else err.get("details")
        words = [str(w) for w in (err.get("title") or err.get("message"), details) if w]
        parts.append(f"{err.get('code', '?')}: {' — '.join(dict.fromkeys(words))}".rstrip(": "))
    return "; ".join(parts) or None
