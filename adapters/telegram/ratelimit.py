"""Flood control: PTB's AIORateLimiter for the bot as a whole, Telegram's group limit per group.

Telegram allows a bot about 30 messages a second overall and 20 a minute in one group; a
429 says how long to wait (`retry_after`), which AIORateLimiter honours. Its overall limit is
set here as one call per 1/30 s rather than its default of 30 per second: the default is a
leaky bucket that lets a full bucket through at once and then refills, so up to ~60 calls
landed within one second under load.

Its own group limiter counts every call that names a group, typing indicators included, so
a reply's chat actions used up the group's minute. Here only what puts or changes a message
in a group counts against the 20. A private chat is not paced: a reply goes out at once,
within the overall rate, and Telegram's `retry_after` is the judge of anything more.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

GROUP_MESSAGES = frozenset({
    "sendMessage", "sendVoice", "sendAudio", "sendDocument", "sendPhoto", "sendVideo",
    "sendAnimation", "sendSticker", "sendMediaGroup", "editMessageText", "editMessageCaption",
    "editMessageMedia", "copyMessage", "forwardMessage",
})  # fmt: skip
GROUP_PER_MINUTE = 20
_MAX_GROUPS = 1024
_OVERALL_PER_SECOND = 30

Callback = Callable[..., Coroutine[Any, Any, Any]]


class ChatRateLimiter(AIORateLimiter):
    """At most `group_per_minute` messages a minute in each group, on top of AIORateLimiter."""

    def __init__(
        self,
        *,
        group_per_minute: int = GROUP_PER_MINUTE,
        max_retries: int = 3,
        max_groups: int = _MAX_GROUPS,
    ) -> None:
        super().__init__(
            overall_max_rate=1, overall_time_period=1 / _OVERALL_PER_SECOND,
            group_max_rate=0,  # its group limit counts every call; ours below counts messages
            max_retries=max_retries,
        )  # fmt: skip
        self._per_minute = group_per_minute
        self._max_groups = max_groups
        self._groups: dict[int | str, AsyncLimiter] = {}

    def _group_limiter(self, group: int | str) -> AsyncLimiter:
        if len(self._groups) > self._max_groups:  # forget groups that are not being paced now
            idle = [key for key, bucket in self._groups.items() if _drained(bucket)]
            for key in idle:
                del self._groups[key]
        if group not in self._groups:
            self._groups[group] = AsyncLimiter(self._per_minute, 60)
        return self._groups[group]

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        group = _group(data.get("chat_id")) if endpoint in GROUP_MESSAGES else None
        limiter = self._group_limiter(group) if group is not None else contextlib.nullcontext()
        async with limiter:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )


def _drained(bucket: AsyncLimiter) -> bool:
    return bucket.has_capacity(bucket.max_rate)


def _group(chat_id: object) -> int | str | None:
    """Groups and channels have negative ids (or an @username); users have positive ids."""
    if isinstance(chat_id, str) and chat_id.startswith("@"):
        return chat_id
    with contextlib.suppress(TypeError, ValueError):
        number = int(chat_id)  # type: ignore[call-overload]
        return number if number < 0 else None
    return None
