"""Text out: Telegram HTML with a plain resend when Telegram cannot parse it, split at 4096."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import TelegramError

from adapters.telegram.errors import delivering, is_format_error, is_not_modified
from adapters.telegram.format import split_text, to_html
from bot.parts import UNRECORDED
from bot.ports.channels import PartLog


def reply_parameters(reply_to_id: str | None) -> ReplyParameters | None:
    """Quote the user's message; ids that are not Telegram's (e.g. button presses) quote nothing."""
    if reply_to_id is None or not reply_to_id.isdigit():
        return None
    return ReplyParameters(message_id=int(reply_to_id), allow_sending_without_reply=True)


async def with_plain_fallback(
    call: Callable[[str, str | None], Awaitable[Message | bool]], text: str, formatted: bool = True
) -> Message | bool:
    """Send `text` rendered as HTML; if Telegram rejects the markup, the same text plain."""
    async with delivering():
        if not formatted:
            return await call(text, None)
        try:
            return await call(to_html(text), ParseMode.HTML)
        except TelegramError as error:
            if not is_format_error(error):
                raise
        return await call(text, None)


class TextSender:
    """sendMessage / editMessageText for one bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        markup: InlineKeyboardMarkup | None = None,
        formatted: bool = True,
    ) -> int:
        async def call(body: str, parse_mode: str | None) -> Message:
            return await self.bot.send_message(
                chat_id, body, parse_mode=parse_mode, reply_markup=markup,
                reply_parameters=reply_parameters(reply_to_id),
            )  # fmt: skip

        message = await with_plain_fallback(call, text, formatted)
        assert isinstance(message, Message)
        return message.message_id

    async def edit(
        self,
        chat_id: str,
        message_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        formatted: bool = True,
    ) -> None:
        async def call(body: str, parse_mode: str | None) -> Message | bool:
            try:
                return await self.bot.edit_message_text(
                    body, chat_id=chat_id, message_id=message_id, parse_mode=parse_mode,
                    reply_markup=markup,
                )  # fmt: skip
            except TelegramError as error:
                if is_not_modified(error):
                    return True
                raise

        await with_plain_fallback(call, text, formatted)

    async def send_all(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        markup: InlineKeyboardMarkup | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        """Split at the limit; the first part quotes the user, the last carries the buttons.
        A part `parts` knows was sent is not sent again; each is recorded as it goes."""
        chunks = split_text(text) or ["…"]
        ids: list[str] = []
        for index, chunk in enumerate(chunks):
            if (sent := parts.sent(index)) is not None:
                ids.append(sent)
                continue
            last = index == len(chunks) - 1
            message_id = await self.send(
                chat_id, chunk, reply_to_id=reply_to_id if index == 0 else None,
                markup=markup if last else None,
            )  # fmt: skip
            ids.append(str(message_id))
            await parts.record(index, ids[-1])
        return ids
