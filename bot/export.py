"""Render a conversation for people: the /history summary and the /export file."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import ContentKind
from bot.ports.store import Direction, StoredMessage


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


def history_markdown(messages: Sequence[StoredMessage], *, title: str) -> str:
    """The whole history as a Markdown document, one section per message."""
    out = [f"# {title}", ""]
    for message in messages:
        stamp = message.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        who = "You" if message.direction is Direction.IN else "omnivox"
        out.append(f"## {who} · {stamp} · {message.kind.value}")
        out.append("")
        out.append(_line(message).split(": ", 1)[1] or "_(empty)_")
        out.append("")
    return "\n".join(out)
