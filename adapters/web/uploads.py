"""Uploaded files wait on disk until they are understood, so a crash loses none."""

from __future__ import annotations

import uuid
from pathlib import Path

from aiohttp import BodyPartReader

from bot.errors import MediaTooLarge, UnreadableMedia

CHUNK = 64 * 1024


class UploadStore:
    def __init__(self, folder: Path, limit_bytes: int) -> None:
        self.folder = folder
        self.limit_bytes = limit_bytes
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise UnreadableMedia("That upload is gone.")
        return self.folder / key

    async def save(self, part: BodyPartReader) -> tuple[str, int]:
        """Stream a multipart file to disk, stopping at the size limit; nothing is left on
        disk when it fails."""
        key = uuid.uuid4().hex
        target = self.path(key)
        size = 0
        try:
            with target.open("wb") as out:  # small chunks; the OS write cache absorbs them
                while chunk := await part.read_chunk(CHUNK):
                    size += len(chunk)
                    if size > self.limit_bytes:
                        raise MediaTooLarge(self.limit_bytes // (1024 * 1024))
                    out.write(chunk)
        except BaseException:  # too large, cut off, or the client gone: no half file stays
            target.unlink(missing_ok=True)
            raise
        return key, size

    def read(self, key: str) -> bytes:
        target = self.path(key)
        if not target.exists():
            raise UnreadableMedia("That upload is no longer here; please send it again.")
        return target.read_bytes()

    def discard(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
