"""One stored reply through its channel, part by part: the voice note or the (streamed)
text, then any file; each part the log knows is skipped, each sent part recorded."""

from __future__ import annotations

from bot.models import Reply
from bot.ports.channels import Adapter, PartLog, ReplyStream
from bot.ports.store import StoredMessage

ATTACHMENT_PARTS = 1000  # a reply's file is numbered apart from its text and voice parts

async def send_reply(
    adapter: Adapter,
    row: StoredMessage,
    reply: Reply,
    stream: ReplyStream | None,
    parts: PartLog,
) -> list[str]:
    """The reply's parts through the channel: the voice note or the (streamed) text, then
    any attachment. Returns the platform ids of everything sent."""
    chat, quoting = row.chat_id, row.reply_to_platform_id
    feedback_for = row.id if reply.feedback else None
    ids: list[str] = []
    if reply.voice is not None:
        ids += await adapter.send_voice(
            chat, reply.voice, text=reply.text, reply_to_id=quoting, feedback_for=feedback_for,
            parts=parts,
        )  # fmt: skip
    elif stream is not None and parts.sent(0) is None:
        shown = await stream.finish(reply.text)
        for index, platform_id in enumerate(shown):
            await parts.record(index, platform_id)
        ids += shown
    else:
        ids += await adapter.send_text(
            chat, reply.text, reply_to_id=quoting, choices=reply.choices,
            feedback_for=feedback_for, parts=parts,
        )  # fmt: skip
    if reply.attachment is not None:
        ids += await adapter.send_attachment(
            chat, reply.attachment, reply_to_id=quoting, parts=parts.within(ATTACHMENT_PARTS)
        )
    return ids
