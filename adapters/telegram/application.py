"""The python-telegram-bot Application omnivox uses: Bot API endpoints, timeouts and flood
control from settings, HTTP over aiohttp, and no Updater (updates are confirmed only once
stored, see `adapter`)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ApplicationBuilder

from adapters.telegram.ratelimit import ChatRateLimiter
from adapters.telegram.request import AiohttpRequest
from bot.config import TelegramSettings


def build_application(
    settings: TelegramSettings, updates: AiohttpRequest
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Bot API endpoints, timeouts and flood control from settings; no Updater (see above).
    HTTP goes through aiohttp (`request.AiohttpRequest`) rather than PTB's httpx stack;
    `updates` is the request object for getUpdates, which `Poller` calls itself."""
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .updater(None)
        .request(AiohttpRequest(
            connection_pool_size=64, connect_timeout=10, read_timeout=settings.request_timeout,
            write_timeout=20, media_write_timeout=60, pool_timeout=10,
        ))
        .get_updates_request(updates)
    )  # fmt: skip
    if settings.rate_limiter:
        # the builder types its rate-limiter argument from the chain so far (no limiter yet)
        builder = builder.rate_limiter(ChatRateLimiter())  # type: ignore[arg-type]
    return builder.build()
