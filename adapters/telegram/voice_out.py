"""Voice replies and files sent to Telegram, each part once: the voice note with its text as
caption (or followed by it), an audio file when the user's privacy settings refuse voice
messages, and documents."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InputFile, Message
from telegram.error import TelegramError

from adapters.telegram.errors import delivering, is_voice_forbidden
from adapters.telegram.format import CAPTION_LIMIT, visible_len
from adapters.telegram.markup import keyboard
from adapters.telegram.outgoing import reply_parameters, with_plain_fallback
from bot.errors import DeliveryError
from bot.models import Attachment, VoiceAudio
from bot.ports.channels import PartLog

SendText = Callable[..., Awaitable[list[str]]]
VOICE_FORBIDDEN_NOTE = (
    "Your Telegram privacy settings do not accept voice messages from me, "
    "so here is my answer as an audio file."
)


async def send_voice_reply(
    bot: Any, send_text: SendText, chat_id: str, voice: VoiceAudio, text: str,
    reply_to_id: str | None, feedback_for: int | None, parts: PartLog,
) -> list[str]:  # fmt: skip
    """The voice note with its text as caption, or followed by it when it is too long
    (part 0 the voice note, the text from part 1; a part already sent is skipped)."""
    as_caption = bool(text.strip()) and visible_len(text) <= CAPTION_LIMIT
    if (voiced := parts.sent(0)) is not None:
        rest = [] if as_caption or not text.strip() else await send_text(
            chat_id, text, feedback_for=feedback_for, parts=parts.within(1)
        )  # fmt: skip
        return [voiced, *rest]
    markup = keyboard(feedback_for=feedback_for) if as_caption else None

    async def call(caption: str, parse_mode: str | None) -> Any:
        return await bot.send_voice(
            chat_id, InputFile(voice.data, filename="reply.ogg"),
            duration=max(1, math.ceil(voice.duration)), caption=caption or None,
            parse_mode=parse_mode, reply_parameters=reply_parameters(reply_to_id),
            reply_markup=markup,
        )  # fmt: skip

    try:
        sent = await with_plain_fallback(call, text if as_caption else "", as_caption)
    except DeliveryError as failure:
        cause = failure.__cause__
        if not (isinstance(cause, TelegramError) and is_voice_forbidden(cause)):
            raise
        return await _voice_as_file(
            bot, send_text, chat_id, voice, text, reply_to_id, feedback_for, parts
        )
    assert isinstance(sent, Message)
    ids = [str(sent.message_id)]
    await parts.record(0, ids[0])
    if not as_caption and text.strip():
        ids += await send_text(chat_id, text, feedback_for=feedback_for, parts=parts.within(1))
    return ids


async def _voice_as_file(
    bot: Any, send_text: SendText, chat_id: str, voice: VoiceAudio, text: str,
    reply_to_id: str | None, feedback_for: int | None, parts: PartLog,
) -> list[str]:  # fmt: skip
    """The user does not accept voice messages: the same audio as a file, with a note."""
    async with delivering():
        sent = await bot.send_document(
            chat_id, InputFile(voice.data, filename="reply.ogg"), caption=VOICE_FORBIDDEN_NOTE,
            reply_parameters=reply_parameters(reply_to_id),
        )  # fmt: skip
    await parts.record(0, str(sent.message_id))
    return [
        str(sent.message_id),
        *await send_text(chat_id, text, feedback_for=feedback_for, parts=parts.within(1)),
    ]


async def send_document_once(
    bot: Any, chat_id: str, attachment: Attachment, reply_to_id: str | None, parts: PartLog
) -> list[str]:
    """A file (an export), unless an earlier try already sent it."""
    if (sent_before := parts.sent(0)) is not None:
        return [sent_before]
    async with delivering():
        sent = await bot.send_document(
            chat_id, InputFile(attachment.data, filename=attachment.file_name),
            reply_parameters=reply_parameters(reply_to_id),
        )  # fmt: skip
    await parts.record(0, str(sent.message_id))
    return [str(sent.message_id)]
