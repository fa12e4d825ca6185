"""Inbox → per-chat ordered work → outbox, durable across crashes.

Accepting a message is one insert into the inbox; the platform is acknowledged
after that and never waits for the answer. Each chat's messages are answered in
order by one worker; chats run in parallel up to one global bound. On start-up,
what was received but not answered is answered (and `bot.delivery` delivers what
was answered but not delivered). `/stop`, or a new message in the chat, cancels
the generation in progress.

With a job queue (`omnivox gateway` + `omnivox worker` on PostgreSQL) the inbox queues
each message's job as it stores it, and the per-chat order is the queue's: a gateway's
dispatcher only accepts, a worker's answers the jobs it is given (`answer_job`), and
interrupts reach the worker generating the answer through the queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque

from bot.access import REFUSAL, AccessPolicy, rate_limited_text
from bot.answering import INTERRUPTED, STOPPED, UNPARSED, Answerer
from bot.config import ConversationSettings, LimitSettings
from bot.delivery import Courier
from bot.forgetting import Closer
from bot.invocation import Invocation, parse_command
from bot.limits import bounded, cut_length
from bot.models import ContentKind, IncomingMessage, Platform, Reply
from bot.parts import parse_tag
from bot.pipeline import Pipeline
from bot.ports.channels import WAITS_FOR_USER, Adapter
from bot.ports.engines import Engines
from bot.ports.queue import WorkQueue
from bot.ports.store import Accepted, State, Store, StoredMessage
from bot.tasks import TaskSet

log = logging.getLogger(__name__)



class Dispatcher:
    """Implements `bot.ports.channels.MessageSink` for the adapters."""

    def __init__(
        self,
        store: Store,
        engines: Engines,
        settings: ConversationSettings,
        limits: LimitSettings,
        access: AccessPolicy,
        *,
        queue: WorkQueue | None = None,
        delivery_lease: float | None = None,
    ) -> None:
        self.store = store
        self.queue = queue
        self.engines = engines
        self.settings = settings
        self.limits = limits
        self.access = access
        self.pipeline = Pipeline(engines, store.history, settings, limits, store.users)
        self.adapters: dict[Platform, Adapter] = {}
        self.tasks = TaskSet()
        self.closer = Closer(store.privacy, self.adapters, self.tasks)
        self.courier = Courier(
            store.outbox, store.parts, self.adapters, self.tasks,
            on_forget_settled=self.closer.settled,
        )  # fmt: skip
        if delivery_lease is not None:
            self.courier.lease = delivery_lease
        self._bound = asyncio.Semaphore(settings.max_concurrent_chats)
        self._queues: dict[str, deque[int]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._invocations: dict[int, Invocation | None] = {}
        self.answerer = Answerer(store, engines, self.pipeline, self.courier, self.adapters,
                                 settings, limits)  # fmt: skip
        self.running = False

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    # lifecycle -------------------------------------------------------------

    async def start(self, *, work: bool = True) -> None:
        """Resume unfinished work, then keep retrying deliveries that failed for now.
        `work=False` (a gateway): accept only; the workers answer and deliver."""
        self.running = True
        if not work:
            return
        if self.queue is None:  # with a queue, what is unfinished is still in it
            # all in one: replies a killed run of this process had claimed go at once
            if released := await self.store.outbox.release_claims():
                log.info("%d reply claim(s) of a previous run released", released)
            for message in await self.store.inbox.unanswered():
                self._enqueue(message.chat_key, message.id)
        await self.courier.start()
        await self.closer.start()

    async def stop(self) -> None:
        """Cancel work in progress; it stays in the inbox and resumes on the next start."""
        self.running = False
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self.closer.stop()
        await self.tasks.cancel()
        await self.courier.stop()
        self._workers.clear()
        self._queues.clear()

    async def idle(self, within: float = 30.0) -> None:
        """Wait until nothing is queued or being delivered (tests and the CLI use it)."""
        async with asyncio.timeout(within):
            while self._workers or self.courier.delivering or self.tasks:
                self.tasks.settled.clear()
                await self.tasks.settled.wait()

    # MessageSink -----------------------------------------------------------

    async def accept(self, message: IncomingMessage) -> Accepted:
        if not self._allowed(message):
            return Accepted(id=None, refused=True)
        message = bounded(message, self.limits.max_text_chars)
        cut = cut_length(message.unsupported_type) is not None
        invocation = (
            parse_command(message.text) if message.kind is ContentKind.TEXT and not cut else None
        )
        in_context = invocation is None and not cut and message.addressed
        stopping = invocation is not None and invocation.name == "stop"
        accepted = await self.store.inbox.accept(
            message, in_context=in_context, admit=lambda: self._within_rate(message),
            ordered=not stopping,
        )  # fmt: skip
        if not accepted.duplicate:  # the user wrote: what waited for that may go
            self.courier.user_wrote(message.platform, message.chat_id)
        if accepted.duplicate or accepted.refused or accepted.id is None:
            return accepted
        if self.queue is not None:  # queued with the row; a worker answers it
            if in_context and self.settings.new_message_interrupts:
                await self.queue.interrupt(message.chat_key, INTERRUPTED, accepted.id)
            return accepted
        if invocation is not None and invocation.name == "stop":
            self.tasks.spawn(self._stop_chat(message.chat_key, accepted.id))
            return accepted
        if in_context and self.settings.new_message_interrupts:
            self.answerer.interrupt(message.chat_key, INTERRUPTED)
        self._invocations[accepted.id] = invocation
        self._enqueue(message.chat_key, accepted.id)
        return accepted

    def _allowed(self, message: IncomingMessage) -> bool:
        """On the list of users; a refusal is said once, not per message, and never to a
        group voice note that may not be for us."""
        if self.access.is_allowed(message):
            return True
        if message.addressed and self.access.should_send_refusal(message):
            self._tell(message, REFUSAL)
        return False

    def _within_rate(self, message: IncomingMessage) -> bool:
        """Counts a new message (the inbox asks only for those, never for a redelivery);
        one over the limit is not stored, and the user is told (once a minute) — unless it
        is a group voice note that may not be for us."""
        if self.access.take(message):
            return True
        if message.addressed and self.access.should_warn(message):
            self._tell(message, rate_limited_text(self.access.limit))
        return False

    def _tell(self, message: IncomingMessage, text: str) -> None:
        self.tasks.spawn(
            self.courier.send_direct(message.platform, message.chat_id, text, message.message_id)
        )

    async def reject(self, platform: Platform, raw: object, reason: str) -> None:
        """Logged with its reason at WARNING; its body only at DEBUG, because a body holds
        what a user wrote and a log line is out of /forget's reach."""
        try:
            body = json.dumps(raw, ensure_ascii=True, default=repr)
        except (TypeError, ValueError, RecursionError):
            body = "(not serialisable)"
        log.warning("%s input rejected (%s), %d characters", platform.value, reason, len(body))
        log.debug("rejected %s body: %s", platform.value, body[:2000])

    async def record_status(
        self,
        platform: Platform,
        platform_message_id: str,
        status: str,
        error: str | None,
        *,
        tag: str | None = None,
    ) -> None:
        """A report on something we sent. One carrying our tag settles a part whose send
        was unclear (its reply goes on at once); one saying the message may go only once
        the user writes puts its reply back to wait for that."""
        if (named := parse_tag(tag)) is not None:
            reply_id, part = named
            if await self.store.parts.report(reply_id, part, platform_message_id, status):
                self.tasks.spawn(self.courier.deliver(reply_id))
        if status == WAITS_FOR_USER:
            held = await self.store.outbox.hold(platform, platform_message_id, error)
            if held is not None:
                self.courier.waits(platform, held)
            return
        await self.store.outbox.record_status(platform, platform_message_id, status, error)

    async def shown(self, platform: Platform, chat_id: str, message_id: int) -> None:
        await self.closer.shown(platform, chat_id, message_id)

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        return await self.store.history.record_feedback(
            platform, chat_id, platform_message_id, value
        )

    # per-chat order --------------------------------------------------------

    def _enqueue(self, chat_key: str, message_id: int) -> None:
        queue = self._queues.setdefault(chat_key, deque())
        if message_id not in queue:
            queue.append(message_id)
        if chat_key not in self._workers and self.running:
            self._workers[chat_key] = asyncio.create_task(
                self._drain(chat_key), name=f"omnivox-chat-{chat_key}"
            )

    async def _drain(self, chat_key: str) -> None:
        queue = self._queues[chat_key]
        try:
            while queue:
                async with self._bound:
                    await self.answerer.process(queue[0], self._invocations.pop(queue[0], UNPARSED))
                queue.popleft()
        finally:
            self._workers.pop(chat_key, None)
            if not queue:
                self._queues.pop(chat_key, None)
            self.tasks.settled.set()

    async def _stop_chat(self, chat_key: str, stop_id: int) -> None:
        stopped = self.answerer.interrupt(chat_key, STOPPED)
        message = await self.store.inbox.get(stop_id)
        if message is not None:
            text = "Stopped." if stopped else "There is nothing to stop."
            await self.courier.answer(message, Reply(text=text), in_context=False)

    # jobs from the queue ---------------------------------------------------

    async def answer_job(self, message_id: int) -> None:
        """A worker's job: answer the message, or finish delivering its answer."""
        message = await self.store.inbox.get(message_id)
        if message is None:
            return
        self.courier.user_wrote(message.platform, message.chat_id)
        if message.state is State.ANSWERED:  # its worker died before the reply went out
            await self.courier.deliver_answers_to(message_id, within=self.courier.lease + 1)
            return
        if message.state not in (State.RECEIVED, State.WORKING):
            return
        invocation = None if message.in_context else parse_command(message.text)
        if invocation is not None and invocation.name == "stop":
            await self._stop_shared(message)
            return
        async with self._bound:
            await self.answerer.process(message_id, invocation)

    def interrupted(self, chat_key: str, reason: str, asked_by: int) -> None:
        """An interrupt from the queue: cancel this chat's older generation, if it is here."""
        self.answerer.interrupt(chat_key, reason, before=asked_by)

    async def _stop_shared(self, message: StoredMessage) -> None:
        """/stop when the generation may be running in another worker."""
        assert self.queue is not None
        working = await self.store.inbox.working(message.platform, message.chat_id, message.id)
        if working:
            await self.queue.interrupt(message.chat_key, STOPPED, message.id)
        text = "Stopped." if working else "There is nothing to stop."
        await self.courier.answer(message, Reply(text=text), in_context=False)
