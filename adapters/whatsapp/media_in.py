"""Media a WhatsApp user sent, fetched by id: refused early when Meta says it is too large
or of another kind than the message announced, with a reply the user can act on."""

from __future__ import annotations

from adapters.whatsapp.errors import GraphAPIError, Severity, TokenAlarm
from adapters.whatsapp.graph import GraphClient
from bot.config import LimitSettings
from bot.errors import AdapterError, MediaTooLarge, UnreadableMedia
from bot.models import MediaRef


async def fetch_media(
    graph: GraphClient, limits: LimitSettings, alarm: TokenAlarm, media: MediaRef
) -> bytes:
    """Media bytes by id, refused early when WhatsApp says it is too large."""
    limit, limit_mb = limits.max_media_bytes, limits.max_media_mb
    if media.size and media.size > limit:
        raise MediaTooLarge(limit_mb, media.size)
    try:
        info = await graph.media_info(media.file_id)
        if info.file_size and info.file_size > limit:
            raise MediaTooLarge(limit_mb, info.file_size)
        _check_type(media.mime_type, info.mime_type)
        data = await graph.download(info.url, max_bytes=limit, limit_mb=limit_mb)
    except GraphAPIError as exc:
        if exc.severity is Severity.AUTH:
            alarm.report(exc)
        if exc.severity in (Severity.AUTH, Severity.TRANSIENT):
            raise AdapterError(f"WhatsApp media download failed: {exc}") from exc
        raise UnreadableMedia(
            "I could not fetch that file from WhatsApp. Please send it again.", str(exc)
        ) from exc
    if not data:
        raise UnreadableMedia("That file is empty.", f"empty media {media.file_id}")
    return data


def _check_type(expected: str | None, actual: str | None) -> None:
    """The bytes must be of the family the message announced (image, audio...)."""
    if expected and actual and expected.split("/")[0] != actual.split("/")[0]:
        raise UnreadableMedia(
            "That file is not what it claims to be.", f"announced {expected}, served {actual}"
        )
