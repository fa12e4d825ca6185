"""Bot API update (a JSON dict) → what the core should see. Pure: no I/O, no PTB objects.

Parsing works on the raw dicts so it is table-testable on recorded payloads and does not
depend on the client library's object model accepting every field a sample carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from adapters.telegram.shape import update_problem
from adapters.timestamps import epoch_to_utc
from bot.models import ContentKind, IncomingMessage, MediaRef, Platform

Json = Mapping[str, Any]

GROUP_TYPES = frozenset({"group", "supergroup"})
FEEDBACK_PREFIX = "fb:"

# Content keys that make a message something we cannot answer meaningfully; first hit names it.
UNSUPPORTED_KEYS = (
    "sticker", "animation", "video", "document", "location", "venue", "contact", "poll",
    "dice", "game", "story", "invoice", "paid_media", "checklist", "giveaway",
    "giveaway_winners",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who we are in groups: mentions and replies are matched against this."""

    id: int
    username: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAction:
    """An inline-button press. `command` or `feedback` is set when we understood the data.

    Named as the core names feedback: `feedback` is the +1/-1 value (`StoredMessage.feedback`)
    and `message_id` the platform id of the reply it rates (`record_feedback`'s
    `platform_message_id`).
    """

    query_id: str
    chat_id: str
    user_id: str
    message_id: str | None
    command: IncomingMessage | None = None
    feedback: int | None = None


@dataclass(frozen=True, slots=True)
class Malformed:
    """An update that cannot be read, and why: it is recorded as failed and acknowledged."""

    reason: str


Parsed = IncomingMessage | CallbackAction | Malformed | None


def parse_update(update: Json, bot: BotIdentity) -> Parsed:
    """One update → a message for the inbox, a button press, None (not for us) or Malformed."""
    problem = update_problem(update)
    if problem is not None:
        return Malformed(problem)
    try:
        return _parse_update(update, bot)
    except (LookupError, TypeError, ValueError, AttributeError) as error:  # a shape not foreseen
        return Malformed(f"the update could not be read ({type(error).__name__})")


def _parse_update(update: Json, bot: BotIdentity) -> Parsed:
    if isinstance(message := update.get("message"), Mapping):
        return parse_message(message, bot, raw=update)
    if isinstance(edited := update.get("edited_message"), Mapping):
        # Same message_id as the original: the inbox dedupes it, so it is answered once.
        return parse_message(edited, bot, raw=update)
    if isinstance(query := update.get("callback_query"), Mapping):
        return parse_callback(query, bot, raw=update)
    return None


def parse_message(
    message: Json, bot: BotIdentity, *, raw: Json | None = None
) -> IncomingMessage | None:
    """A Message → IncomingMessage, or None for service messages, bots and unaddressed group
    messages (a group voice note comes through marked not addressed: its words may be)."""
    chat = message.get("chat") or {}
    sender = message.get("from") or message.get("sender_chat")
    if "id" not in chat or not sender or sender.get("is_bot"):
        return None
    is_group = chat.get("type") in GROUP_TYPES
    kind, media, unsupported = _content(message)
    if kind is None:
        return None  # service message: members joined, pinned, title changed, ...
    text = message.get("text") if "text" in message else message.get("caption")
    addressed = not is_group or _addressed_to_bot(message, text, bot)
    if not addressed and kind is not ContentKind.VOICE:
        return None  # a voice note goes on: it may call the bot by name (heard in the core)
    reply = message.get("reply_to_message") or {}
    return IncomingMessage(
        platform=Platform.TELEGRAM,
        message_id=str(message["message_id"]),
        chat_id=str(chat["id"]),
        user_id=str(sender["id"]),
        user_name=_display_name(sender),
        timestamp=epoch_to_utc(message.get("edit_date") or message.get("date")),
        kind=kind,
        text=_clean_text(text, bot),
        media=media,
        reply_to_id=str(reply["message_id"]) if "message_id" in reply else None,
        reply_to_text=_quoted_text(message, reply),
        locale=sender.get("language_code"),
        is_group=is_group,
        addressed=addressed,
        unsupported_type=unsupported,
        raw=raw if raw is not None else message,
    )


def parse_callback(query: Json, bot: BotIdentity, *, raw: Json | None = None) -> CallbackAction:
    """A button press. Its data is either a command ("/voice joe") or feedback ("fb:+1:42")."""
    sender = query.get("from") or {}
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    chat_id = str(chat.get("id", sender.get("id", "")))
    data = str(query.get("data") or "")
    action = CallbackAction(
        query_id=str(query.get("id", "")),
        chat_id=chat_id,
        user_id=str(sender.get("id", "")),
        message_id=str(message["message_id"]) if "message_id" in message else None,
    )
    if data.startswith(FEEDBACK_PREFIX):
        value = _feedback_value(data)
        return replace(action, feedback=value) if value else action
    if data.startswith("/") and "id" in sender:
        command = IncomingMessage(
            platform=Platform.TELEGRAM,
            message_id=f"cb:{action.query_id}",
            chat_id=chat_id,
            user_id=action.user_id,
            user_name=_display_name(sender),
            kind=ContentKind.TEXT,
            text=_strip_command_target(data, bot),
            locale=sender.get("language_code"),
            is_group=chat.get("type") in GROUP_TYPES,
            raw=raw if raw is not None else query,
        )
        return replace(action, command=command)
    return action


def feedback_data(value: int, feedback_for: int | None = None) -> str:
    """Callback data of a 👍/👎 button. `feedback_for` (the stored reply's id, as the core
    names it) is informational: the press is keyed by the platform id of its message."""
    suffix = f":{feedback_for}" if feedback_for is not None else ""
    return f"{FEEDBACK_PREFIX}{value:+d}{suffix}"


def _feedback_value(data: str) -> int | None:
    sign = data[len(FEEDBACK_PREFIX) :].partition(":")[0]
    return {"+1": 1, "-1": -1}.get(sign)


def _content(message: Json) -> tuple[ContentKind | None, MediaRef | None, str | None]:
    """Which kind of content the message carries; (None, ...) for service messages."""
    if "voice" in message:
        return ContentKind.VOICE, _media(message["voice"], "audio/ogg"), None
    if "audio" in message:
        return ContentKind.AUDIO, _media(message["audio"], "audio/mpeg"), None
    if "video_note" in message:
        return ContentKind.AUDIO, _media(message["video_note"], "video/mp4"), None
    if isinstance(photos := message.get("photo"), list) and photos:
        return ContentKind.PHOTO, _media(_largest(photos), "image/jpeg"), None
    document = message.get("document")
    if isinstance(document, Mapping):
        mime = str(document.get("mime_type") or "")
        if mime.startswith("image/"):
            return ContentKind.PHOTO, _media(document, mime), None
        if mime.startswith("audio/"):
            return ContentKind.AUDIO, _media(document, mime), None
    for key in UNSUPPORTED_KEYS:
        if key in message:
            return ContentKind.UNSUPPORTED, None, key
    if "text" in message:
        return ContentKind.TEXT, None, None
    return None, None, None


def _media(item: Json, default_mime: str) -> MediaRef:
    duration = item.get("duration")
    return MediaRef(
        file_id=str(item["file_id"]),
        mime_type=item.get("mime_type") or default_mime,
        size=item.get("file_size"),
        duration=float(duration) if duration is not None else None,
        file_name=item.get("file_name"),
    )


def _largest(photos: list[Json]) -> Json:
    return max(
        photos, key=lambda p: (p.get("width", 0) * p.get("height", 0), p.get("file_size", 0))
    )


def _addressed_to_bot(message: Json, text: str | None, bot: BotIdentity) -> bool:
    """In a group we answer only mentions, replies to us and commands for us."""
    replied = (message.get("reply_to_message") or {}).get("from") or {}
    if replied.get("id") == bot.id:
        return True
    if not text:
        return False
    if text.startswith("/"):
        target = text.split(maxsplit=1)[0].partition("@")[2]
        return not target or target.lower() == bot.username.lower()
    if _mention(bot).search(text):
        return True
    return any(
        e.get("type") == "text_mention" and (e.get("user") or {}).get("id") == bot.id
        for e in message.get("entities") or message.get("caption_entities") or ()
    )


def _mention(bot: BotIdentity) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)@{re.escape(bot.username)}\b", re.IGNORECASE)


def _clean_text(text: str | None, bot: BotIdentity) -> str | None:
    """Drop our @mention and a command's @botname suffix; keep everything else as sent."""
    if not text or not bot.username:
        return text
    if text.startswith("/"):
        return _strip_command_target(text, bot)
    stripped = " ".join(_mention(bot).sub(" ", text).split())
    return stripped or text


def _strip_command_target(text: str, bot: BotIdentity) -> str:
    head, sep, rest = text.partition(" ")
    command, _, target = head.partition("@")
    if target and target.lower() != bot.username.lower():
        return text
    return f"{command}{sep}{rest}"


def _quoted_text(message: Json, reply: Json) -> str | None:
    """The part the user quoted, else the whole replied-to text or caption."""
    quote = message.get("quote") or {}
    return quote.get("text") or reply.get("text") or reply.get("caption") or None


def _display_name(user: Json) -> str | None:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or user.get("title") or user.get("username")
