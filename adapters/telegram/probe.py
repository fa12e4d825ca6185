"""`omnivox doctor`'s look at Telegram: is the bot token accepted, and by which bot?

It asks getMe, as start-up does, and says what it found without ever showing the token
(python-telegram-bot's own message for a rejected token quotes it).
"""

from __future__ import annotations

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from adapters.telegram.request import AiohttpRequest
from bot.config import TelegramSettings

REJECTED = "Telegram rejected the bot token (TELEGRAM_BOT_TOKEN)"
PATIENCE = 10.0  # seconds for each of connecting and answering


async def token_status(settings: TelegramSettings) -> tuple[bool, str]:
    """(True, "@username") when Telegram accepts the token; else (False, why not)."""
    token = settings.bot_token.get_secret_value()
    request = AiohttpRequest(read_timeout=PATIENCE, connect_timeout=PATIENCE, pool_timeout=PATIENCE)
    bot = Bot(token, base_url=settings.api_base_url, request=request, get_updates_request=request)
    try:
        async with bot:
            return True, f"@{bot.username}"
    except InvalidToken:
        return False, REJECTED
    except TelegramError as error:
        return False, f"Telegram could not be reached: {error.message.replace(token, '<token>')}"
    finally:
        await request.shutdown()
