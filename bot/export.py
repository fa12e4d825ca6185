"""Render a conversation for people: the /history summary and the /export file."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import ContentKind
from bot.ports.store import Direction, Profile, StoredMessage


def _line(message: StoredMessage) -> str:
    who = "You" if message.direction is Direction.IN else "omnivox"
    if message.kind is ContentKind.PHOTO and message.direction is Direction.IN:
        body = f"[photo] {message.text or ''}".strip()
        if message.caption:
            body += f" — seen: {message.caption}"
    elif message.kind in (ContentKind.VOICE, ContentKind.AUDIO):
        label = "voice note" if message.kind is ContentKind.VOICE else "audio"
        words = message.transcript if message.direction is Direction.IN else message.text
        body = f"[{label}] {words or '(not transcribed)'}"
    elif message.kind is ContentKind.UNSUPPORTED:
        body = "[unsupported message]"
    else:
        body = message.text or ""
    return f"{who}: {body}"


def history_summary(messages: Sequence[StoredMessage], *, turns: int) -> str:
    """The last `turns` exchanges, with the transcripts of voice notes."""
    shown = [m for m in messages if m.turn_text or m.kind is not ContentKind.TEXT]
    if not shown:
        return "We have not talked yet."
    lines = [_line(m)[:600] for m in shown[-turns * 2 :]]
    return "Our last turns:\n\n" + "\n".join(lines)


def history_markdown(
    messages: Sequence[StoredMessage],
    *,
    title: str,
    profile: Profile | None = None,
    elsewhere: Sequence[StoredMessage] = (),
) -> str:
    """The whole history as a Markdown document: what is kept about the person, one
    section per message, then the person's own messages in other chats."""
    out = [f"# {title}", ""]
    if profile is not None:
        out += _profile_lines(profile)
    out += _sections(messages, level="##")
    if elsewhere:
        out += ["## Your messages in other chats", ""]
        out += _sections(elsewhere, level="###")
    return "\n".join(out)


def _sections(messages: Sequence[StoredMessage], *, level: str) -> list[str]:
    out: list[str] = []
    for message in messages:
        stamp = message.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        who = "You" if message.direction is Direction.IN else "omnivox"
        out.append(f"{level} {who} · {stamp} · {message.kind.value}")
        out.append("")
        out.append(_line(message).split(": ", 1)[1] or "_(empty)_")
        out.append("")
    return out


def _profile_lines(profile: Profile) -> list[str]:
    settings = profile.settings
    stamp = "%Y-%m-%d %H:%M:%S UTC"
    rows = [
        ("name", profile.name or "(none given)"),
        ("first message", profile.first_seen.strftime(stamp)),
        ("last message", profile.last_seen.strftime(stamp) if profile.last_seen else "—"),
        ("replies", settings.reply_mode),
        ("voice", settings.voice or "(the default)"),
        ("language", settings.language or "(detected)"),
        ("speaking speed", f"{settings.speed:g}×"),
    ]
    return ["## What is kept about you", "", *(f"- {key}: {value}" for key, value in rows), ""]
