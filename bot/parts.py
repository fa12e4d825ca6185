"""The `PartLog` the courier hands a channel for one delivery, and the tag of each part.

A part's tag is `omnivox:<reply id>:<part>`: WhatsApp echoes it back in its status
reports (`biz_opaque_callback_data`), which is how a send that timed out is matched to
the message the platform in fact took.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.ports.store import Parts, SentPart

TAG_PREFIX = "omnivox"


def tag_of(reply_id: int, part: int) -> str:
    return f"{TAG_PREFIX}:{reply_id}:{part}"


def parse_tag(tag: str | None) -> tuple[int, int] | None:
    """(reply id, part) from a tag of ours; None for anything else."""
    prefix, _, rest = (tag or "").partition(":")
    reply, _, part = rest.partition(":")
    if prefix != TAG_PREFIX or not reply.isdigit() or not part.lstrip("-").isdigit():
        return None
    return int(reply), int(part)


class DeliveryParts:
    """Implements `bot.ports.channels.PartLog` for one reply, over the store's parts."""

    def __init__(
        self, store: Parts, reply_id: int, known: dict[int, SentPart], first: int = 0
    ) -> None:
        self._store = store
        self._reply_id = reply_id
        self._known = known  # shared by every view of this delivery
        self._first = first

    @classmethod
    async def load(cls, store: Parts, reply_id: int) -> DeliveryParts:
        return cls(store, reply_id, await store.of(reply_id))

    def sent(self, index: int) -> str | None:
        found = self._known.get(self._first + index)
        return found.platform_id if found is not None else None

    def unclear_since(self, index: int) -> datetime | None:
        found = self._known.get(self._first + index)
        return found.unclear_since if found is not None and found.platform_id is None else None

    def tag(self, index: int) -> str:
        return tag_of(self._reply_id, self._first + index)

    async def record(self, index: int, platform_id: str) -> None:
        part = self._first + index
        await self._store.record(self._reply_id, part, platform_id)
        self._known[part] = SentPart(platform_id=platform_id)

    async def unclear(self, index: int) -> str | None:
        part = self._first + index
        settled = await self._store.record(self._reply_id, part, None)
        since = None if settled else datetime.now(UTC)
        self._known[part] = SentPart(platform_id=settled, unclear_since=since)
        return settled

    async def not_sent(self, index: int) -> None:
        part = self._first + index
        if part in self._known and self._known[part].platform_id is None:
            await self._store.drop(self._reply_id, part)
            del self._known[part]

    def within(self, first: int) -> DeliveryParts:
        return DeliveryParts(self._store, self._reply_id, self._known, self._first + first)


class Unrecorded:
    """A `PartLog` that keeps nothing: for messages nothing is stored for."""

    def sent(self, index: int) -> str | None:
        return None

    def unclear_since(self, index: int) -> datetime | None:
        return None

    def tag(self, index: int) -> str:
        return f"{TAG_PREFIX}:direct:{index}"

    async def record(self, index: int, platform_id: str) -> None:
        return None

    async def unclear(self, index: int) -> str | None:
        return None

    async def not_sent(self, index: int) -> None:
        return None

    def within(self, first: int) -> Unrecorded:
        return self


UNRECORDED = Unrecorded()
