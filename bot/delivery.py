"""The outbox side: store each answer, send it through its channel once, retry what failed.

A reply is stored before it is sent and marked delivered once sent, so a restart sends
what was answered but not delivered, and never sends a delivered reply again. Failures
that may pass are retried with backoff (after `retry_after` when the platform says so);
permanent ones are recorded with their reason.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.errors import DeliveryError
from bot.models import Platform, Reply
from bot.ports.channels import Adapter, ReplyStream
from bot.ports.store import Direction, Outbox, State, StoredMessage
from bot.tasks import TaskSet

log = logging.getLogger(__name__)

RETRY_SWEEP_EVERY = 2.0
MAX_BACKOFF = 300.0


def _now() -> datetime:
    return datetime.now(UTC)


class Courier:
    """Delivers stored replies; `delivering` holds those on their way now."""

    def __init__(
        self, outbox: Outbox, adapters: Mapping[Platform, Adapter], tasks: TaskSet
    ) -> None:
        self.outbox = outbox
        self.adapters = adapters
        self.tasks = tasks
        self.delivering: set[int] = set()
        self._streams: dict[int, ReplyStream] = {}
        # when the deliveries that failed for now come due: the sweep asks the store only then
        self._retries: list[datetime] = []
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Deliver what was answered but not delivered; then keep retrying what fails."""
        for reply in await self.outbox.undelivered():
            self.tasks.spawn(self.deliver(reply.id))
        self._sweeper = asyncio.create_task(self._sweep_retries(), name="omnivox-retries")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)

    async def answer(
        self,
        message: StoredMessage,
        reply: Reply,
        *,
        in_context: bool,
        stream: ReplyStream | None = None,
    ) -> None:
        """Store the reply to `message`, then deliver it."""
        try:
            reply_id = await self.outbox.add_reply(message.id, reply, in_context=in_context)
        except LookupError:  # the user was just forgotten: answer without storing anything
            await self.send_direct(message.platform, message.chat_id, reply.text)
            return
        if stream is not None:
            self._streams[reply_id] = stream
        # just stored: what `load_reply` would read back is in hand
        row = dataclasses.replace(
            message, id=reply_id, direction=Direction.OUT, state=State.ANSWERED,
            answer_to=message.id, reply_to_platform_id=message.platform_message_id,
        )  # fmt: skip
        await self.deliver(reply_id, (row, reply))

    async def deliver(
        self, reply_id: int, stored: tuple[StoredMessage, Reply] | None = None
    ) -> None:
        if reply_id in self.delivering:
            return
        self.delivering.add(reply_id)
        try:
            loaded = stored or await self.outbox.load_reply(reply_id)
            if loaded is None or loaded[0].state is not State.ANSWERED:
                return
            row, reply = loaded
            adapter = self.adapters.get(row.platform)
            if adapter is None:
                return
            ids = await _send(adapter, row, reply, self._streams.pop(reply_id, None))
            await self.outbox.mark_delivered(reply_id, ids)
        except DeliveryError as failure:
            await self._failed(reply_id, failure)
        except Exception as failure:
            log.exception("delivering reply %s failed", reply_id)
            await self._failed(reply_id, DeliveryError(str(failure)))
        finally:
            self.delivering.discard(reply_id)
            self.tasks.settled.set()

    async def _failed(self, reply_id: int, failure: DeliveryError) -> None:
        if failure.permanent:
            log.warning("reply %s will not be delivered: %s", reply_id, failure.reason)
            await self.outbox.mark_delivery_failed(
                reply_id, failure.reason, permanent=True, retry_at=None
            )
            return
        delay = failure.retry_after
        if not delay:  # back off by the attempts made so far
            attempts = await self.outbox.attempts(reply_id)
            delay = min(2.0 ** (attempts + 1), MAX_BACKOFF)
        log.info("reply %s not delivered (%s); retrying in %.0f s", reply_id, failure.reason,
                 delay)  # fmt: skip
        retry_at = _now() + timedelta(seconds=delay)
        await self.outbox.mark_delivery_failed(
            reply_id, failure.reason, permanent=False, retry_at=retry_at
        )
        heapq.heappush(self._retries, retry_at)

    async def _sweep_retries(self) -> None:
        while True:
            await asyncio.sleep(RETRY_SWEEP_EVERY)
            now = _now()
            if not self._retries or self._retries[0] > now:
                continue
            while self._retries and self._retries[0] <= now:
                heapq.heappop(self._retries)
            try:
                for row in await self.outbox.undelivered(due_before=now):
                    if row.id not in self.delivering:
                        self.tasks.spawn(self.deliver(row.id))
            except Exception:
                log.exception("retry sweep failed")
                heapq.heappush(self._retries, now)  # try again at the next sweep

    async def send_direct(
        self, platform: Platform, chat_id: str, text: str, reply_to_id: str | None = None
    ) -> None:
        """A message nothing is stored for (a refusal, a limit): sent once, failures logged."""
        adapter = self.adapters.get(platform)
        if adapter is None:
            return
        try:
            await adapter.send_text(chat_id, text, reply_to_id=reply_to_id)
        except DeliveryError as failure:
            log.info("could not tell a %s user: %s", platform.value, failure.reason)


async def _send(
    adapter: Adapter, row: StoredMessage, reply: Reply, stream: ReplyStream | None
) -> list[str]:
    """The reply's parts through the channel: the voice note or the (streamed) text, then
    any attachment. Returns the platform ids of everything sent."""
    chat, quoting = row.chat_id, row.reply_to_platform_id
    feedback_for = row.id if reply.feedback else None
    ids: list[str] = []
    if reply.voice is not None:
        ids += await adapter.send_voice(
            chat, reply.voice, text=reply.text, reply_to_id=quoting, feedback_for=feedback_for
        )
    elif stream is not None:
        ids += await stream.finish(reply.text)
    else:
        ids += await adapter.send_text(
            chat, reply.text, reply_to_id=quoting, choices=reply.choices,
            feedback_for=feedback_for,
        )  # fmt: skip
    if reply.attachment is not None:
        ids += await adapter.send_attachment(chat, reply.attachment, reply_to_id=quoting)
    return ids
