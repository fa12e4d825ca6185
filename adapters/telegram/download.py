"""getFile + download, with the size limit checked before and after fetching.

A network failure (timeouts and 5xx included) is tried again under the shared
retry policy (`bot.retry`); anything else is answered at once.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.errors import MediaTooLarge, UnreadableMedia
from bot.models import MediaRef
from bot.retry import RetryPolicy

log = logging.getLogger(__name__)

CLOUD_LIMIT_MB = 20  # what the public Bot API lets a bot download; a local server lifts it
ATTEMPTS = 3
RETRY = RetryPolicy(attempts=ATTEMPTS)
NOT_FETCHED = "I could not fetch that file from Telegram. Please send it again."


class Downloader:
    def __init__(self, bot: Bot, limit_mb: int) -> None:
        self._bot = bot
        self._limit_mb = limit_mb
        self._limit = limit_mb * 1024 * 1024

    async def fetch(self, media: MediaRef) -> bytes:
        """The file's bytes; MediaTooLarge over the limit, UnreadableMedia when unavailable."""
        self._check(media.size)
        try:
            return await RETRY.run(
                lambda: self._fetch_once(media), retry_if=_passing, what="Telegram download"
            )
        except NetworkError as error:
            raise UnreadableMedia(NOT_FETCHED, f"download failed: {error}") from error

    async def _fetch_once(self, media: MediaRef) -> bytes:
        try:
            file = await self._bot.get_file(media.file_id)
        except BadRequest as error:
            if "too big" in error.message.lower():
                raise MediaTooLarge(min(self._limit_mb, CLOUD_LIMIT_MB), media.size) from error
            raise UnreadableMedia(NOT_FETCHED, f"getFile: {error.message}") from error
        self._check(file.file_size)
        try:
            data = bytes(await file.download_as_bytearray())
        except NetworkError:
            raise
        except TelegramError as error:
            raise UnreadableMedia(NOT_FETCHED, f"download: {error.message}") from error
        self._check(len(data))
        if not data:
            raise UnreadableMedia("That file is empty.", "downloaded 0 bytes")
        return data

    def _check(self, size: int | None) -> None:
        if size is not None and size > self._limit:
            raise MediaTooLarge(self._limit_mb, size)


def _passing(exc: BaseException) -> bool:
    """Network failures, timeouts and 5xx included, are worth another try."""
    return isinstance(exc, NetworkError)
