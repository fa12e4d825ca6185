"""Flood control: PTB's AIORateLimiter plus Telegram's per-private-chat pace.

AIORateLimiter keeps the bot under 20 messages/minute per group and waits out a 429's
retry_after. Its overall limit is set here as one call per 1/30 s rather than its default
of 30 per second: the default is a leaky bucket that lets a full bucket through at once
and then refills, so up to ~60 calls landed within one second under load. It does not pace
a single private chat, where Telegram asks for about one message a second.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

_PACED = frozenset({"sendMessage", "sendVoice", "sendAudio", "sendDocument", "sendPhoto"})
_MAX_CHATS = 1024
_OVERALL_PER_SECOND = 30

Callback = Callable[..., Coroutine[Any, Any, Any]]


class ChatRateLimiter(AIORateLimiter):
    """One message per `chat_period` seconds per private chat, on top of AIORateLimiter."""

    def __init__(
        self, *, chat_period: float = 1.0, max_retries: int = 3, max_chats: int = _MAX_CHATS
    ) -> None:
        super().__init__(
            overall_max_rate=1, overall_time_period=1 / _OVERALL_PER_SECOND, max_retries=max_retries
        )
        self._chat_period = chat_period
        self._max_chats = max_chats
        self._chats: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._chats) > self._max_chats:  # forget chats that are not being paced now
            idle = [key for key, limiter in self._chats.items() if limiter.has_capacity(1)]
            for key in idle:
                del self._chats[key]
        if chat_id not in self._chats:
            self._chats[chat_id] = AsyncLimiter(1, self._chat_period)
        return self._chats[chat_id]

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        pace = endpoint in _PACED and isinstance(chat_id, int) and chat_id > 0
        limiter = self._chat_limiter(chat_id) if pace else contextlib.nullcontext()  # type: ignore[arg-type]
        async with limiter:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
