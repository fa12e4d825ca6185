"""The outbox side: store each answer, send it through its channel once, retry what failed.

A reply is stored before it is sent and marked delivered once sent, so a restart sends
what was answered but not delivered, and never sends a delivered reply again. Each
platform message a reply becomes (text parts, a voice note, a file) is recorded as it
goes out, so a retry after a partial failure sends only the missing parts. Failures
that may pass are retried with backoff (after `retry_after` when the platform says so);
permanent ones are recorded with their reason; a reply the channel may send only once
the user writes again waits for that. A chat's replies reach it in the order they were
written: one that comes while an earlier reply of that chat waits for its retry is held
and goes right after it. Before a reply is sent it is claimed in the store for a lease,
so when many workers share one database only one of them sends it; a worker that dies
mid-send leaves a claim that runs out, and another worker resumes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from bot.errors import DeliveryError
from bot.metrics import timed
from bot.models import Platform, Reply, ReplyEvent
from bot.parts import UNRECORDED, DeliveryParts
from bot.ports.channels import Adapter, ReplyStream
from bot.ports.store import Direction, Outbox, Parts, State, StoredMessage
from bot.sending import send_reply
from bot.tasks import TaskSet

log = logging.getLogger(__name__)

RETRY_SWEEP_EVERY = 2.0
MAX_BACKOFF = 300.0
DELIVERY_LEASE = 120.0  # seconds a claim to send a reply holds
RECLAIM_PAUSE = 0.5  # between tries at a reply another process holds


def process_name() -> str:
    """Who holds a claim: this host and process, unique across restarts."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

# Told when a forget's confirmation is settled (sent, failed for good, or waiting).
Settled = Callable[[StoredMessage], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(UTC)


class Courier:
    """Delivers stored replies; `delivering` holds those on their way now."""

    def __init__(
        self,
        outbox: Outbox,
        parts: Parts,
        adapters: Mapping[Platform, Adapter],
        tasks: TaskSet,
        *,
        on_forget_settled: Settled | None = None,
        lease: float = DELIVERY_LEASE,
    ) -> None:
        self.outbox = outbox
        self.owner = process_name()
        self.lease = lease
        self.parts = parts
        self.adapters = adapters
        self.tasks = tasks
        self.on_forget_settled = on_forget_settled
        self.delivering: set[int] = set()
        self._streams: dict[int, ReplyStream] = {}
        # when the deliveries that failed for now come due: the sweep asks the store only then
        self._retries: list[datetime] = []
        self._sweeper: asyncio.Task[None] | None = None
        self._waiting: set[tuple[Platform, str]] = set()  # chats with replies held for them
        # per chat: replies waiting for a retry, and the later ones held behind them
        self._behind: dict[tuple[Platform, str], set[int]] = {}
        self._held: dict[tuple[Platform, str], list[int]] = {}
        self._releasing: set[tuple[Platform, str]] = set()

    async def start(self) -> None:
        """Deliver what was answered but not delivered; then keep retrying what fails."""
        self._waiting = set(await self.outbox.waiting_chats())
        chats: dict[tuple[Platform, str], list[int]] = {}
        for reply in await self.outbox.undelivered():
            chats.setdefault((reply.platform, reply.chat_id), []).append(reply.id)
        for replies in chats.values():  # each chat's in order, the chats side by side
            self.tasks.spawn(self._in_order(replies))
        self._sweeper = asyncio.create_task(self._sweep_retries(), name="omnivox-retries")

    async def resume(self) -> None:
        """Deliver what is due and unclaimed now: the replies a dead process held."""
        for reply in await self.outbox.undelivered():
            if reply.id not in self.delivering:
                self.tasks.spawn(self.deliver(reply.id))

    async def deliver_answers_to(self, message_id: int, *, within: float) -> None:
        """Deliver the replies to one message before its chat's next message is answered:
        one whose sender died is claimed once that claim runs out (at most `within` s)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            due = [r.id for r in await self.outbox.undelivered() if r.answer_to == message_id]
            for reply_id in due:
                await self.deliver(reply_id)
            if not due or asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(RECLAIM_PAUSE)

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
        notice: str | None = None,
    ) -> None:
        """Store the reply to `message` (with the first-contact `notice` if its author has
        not had it), then deliver it."""
        try:
            reply_id = await self.outbox.add_reply(
                message.id, reply, in_context=in_context, notice=notice
            )
        except LookupError:  # the user was just forgotten: answer without storing anything
            await self.send_direct(message.platform, message.chat_id, reply.text)
            return
        if stream is not None:
            self._streams[reply_id] = stream
        # just stored: what `load_reply` would read back is in hand, unless a notice may
        # have been added to the text
        await self.deliver(reply_id, None if notice else (just_stored(message, reply_id), reply))

    def user_wrote(self, platform: Platform, chat_id: str) -> None:
        """A new message from the chat: the replies held for it may go now."""
        if (platform, chat_id) in self._waiting:
            self._waiting.discard((platform, chat_id))
            self.tasks.spawn(self._reopen(platform, chat_id))

    def waits(self, platform: Platform, chat_id: str) -> None:
        """A reply of this chat was put back to wait for the user (a platform's report)."""
        self._waiting.add((platform, chat_id))

    async def _reopen(self, platform: Platform, chat_id: str) -> None:
        await self._in_order(await self.outbox.reopen(platform, chat_id))

    async def _in_order(self, reply_ids: list[int]) -> None:
        for reply_id in reply_ids:
            await self.deliver(reply_id)  # one after the other: they keep their order

    def _holds(self, chat: tuple[Platform, str], reply_id: int) -> bool:
        """Whether `reply_id` must wait for an earlier reply of its chat (one waiting for
        its retry, or held itself); if so, it is held."""
        earlier = (*self._behind.get(chat, ()), *self._held.get(chat, ()))
        if not any(other < reply_id for other in earlier):
            return False
        held = self._held.setdefault(chat, [])
        if reply_id not in held:
            held.append(reply_id)
            held.sort()
        return True

    async def _release(self, chat: tuple[Platform, str]) -> None:
        """The held replies of a chat, one after the other, until one must wait again."""
        if chat in self._releasing:
            return
        self._releasing.add(chat)
        try:
            while (held := self._held.get(chat)) and not self._behind.get(chat):
                reply_id = held[0]
                await self.deliver(reply_id)
                if reply_id in held:
                    held.remove(reply_id)
            if not self._held.get(chat):
                self._held.pop(chat, None)
        finally:
            self._releasing.discard(chat)

    def _gone(self, reply_id: int) -> None:
        for chat in [chat for chat, behind in self._behind.items() if reply_id in behind]:
            self._settled(chat, reply_id, retrying=False)

    def _settled(self, chat: tuple[Platform, str], reply_id: int, retrying: bool) -> None:
        """Note whether the chat's reply waits for a retry; once none does, the held go."""
        behind = self._behind.setdefault(chat, set())
        if retrying:
            behind.add(reply_id)
            return
        behind.discard(reply_id)
        if not behind:
            del self._behind[chat]
            if self._held.get(chat):
                self.tasks.spawn(self._release(chat))

    async def deliver(
        self, reply_id: int, stored: tuple[StoredMessage, Reply] | None = None
    ) -> None:
        if reply_id in self.delivering:
            return
        self.delivering.add(reply_id)
        row: StoredMessage | None = None
        closing = False  # the confirmation of a forget
        settled: State | None = None
        try:
            loaded = stored or await self.outbox.load_reply(reply_id)
            if loaded is None or loaded[0].state is not State.ANSWERED:
                self._gone(reply_id)  # deleted (forgotten) or settled elsewhere
                return
            row, reply = loaded
            closing = reply.event is ReplyEvent.HISTORY_DELETED
            adapter = self.adapters.get(row.platform)
            if adapter is None or self._holds((row.platform, row.chat_id), reply_id):
                return
            if not await self.outbox.claim(reply_id, self.owner, self.lease):
                log.debug("reply %s is being sent by another process", reply_id)
                return
            with timed("deliver"):
                parts = await DeliveryParts.load(self.parts, reply_id)
                ids = await send_reply(adapter, row, reply, self._streams.pop(reply_id, None),
                                      parts)  # fmt: skip
                await self.outbox.mark_delivered(reply_id, ids)
            settled = State.DELIVERED
        except DeliveryError as failure:
            settled = await self._failed(reply_id, failure, row)
        except Exception as failure:
            log.exception("delivering reply %s failed", reply_id)
            settled = await self._failed(reply_id, DeliveryError(str(failure)), row)
        finally:
            self.delivering.discard(reply_id)
            self.tasks.settled.set()
        if row is not None and settled is not None:
            self._settled((row.platform, row.chat_id), reply_id, settled is State.ANSWERED)
        if closing and row is not None and settled in (
            State.DELIVERED, State.FAILED, State.WAITING
        ):
            await self._forget_settled(row)

    async def _forget_settled(self, row: StoredMessage) -> None:
        if self.on_forget_settled is None:
            return
        try:
            await self.on_forget_settled(row)
        except Exception:
            log.exception("clearing after reply %s failed", row.id)

    async def _failed(
        self, reply_id: int, failure: DeliveryError, row: StoredMessage | None
    ) -> State:
        if failure.waits_for_user:
            log.info("reply %s waits until the user writes again: %s", reply_id, failure.reason)
            await self.outbox.mark_waiting(reply_id, failure.reason)
            if row is not None:
                self._waiting.add((row.platform, row.chat_id))
            return State.WAITING
        if failure.permanent:
            log.warning("reply %s will not be delivered: %s", reply_id, failure.reason)
            await self.outbox.mark_delivery_failed(
                reply_id, failure.reason, permanent=True, retry_at=None
            )
            return State.FAILED
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
        return State.ANSWERED

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
            await adapter.send_text(chat_id, text, reply_to_id=reply_to_id, parts=UNRECORDED)
        except DeliveryError as failure:
            log.info("could not tell a %s user: %s", platform.value, failure.reason)


def just_stored(message: StoredMessage, reply_id: int) -> StoredMessage:
    """The row `load_reply` would read back for a reply to `message` just stored."""
    return dataclasses.replace(
        message, id=reply_id, direction=Direction.OUT, state=State.ANSWERED,
        answer_to=message.id, reply_to_platform_id=message.platform_message_id,
    )  # fmt: skip

