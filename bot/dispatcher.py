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
import contextlib
import dataclasses
import json
import logging
from collections import deque

from bot.access import REFUSAL, AccessPolicy, rate_limited_text
from bot.commands import run_command
from bot.config import ConversationSettings, LimitSettings
from bot.delivery import Courier
from bot.errors import OmnivoxError
from bot.forgetting import Closer
from bot.invocation import CommandContext, Invocation, parse_command
from bot.limits import bounded, cut_length, too_long_text
from bot.metrics import timed
from bot.models import Activity, ContentKind, IncomingMessage, MediaRef, Platform, Reply
from bot.parts import parse_tag
from bot.pipeline import Pipeline, Understood, wants_voice
from bot.ports.channels import WAITS_FOR_USER, Adapter, ReplyStream
from bot.ports.engines import Engines
from bot.ports.queue import WorkQueue
from bot.ports.store import Accepted, State, Store, StoredMessage, UserSettings
from bot.tasks import TaskSet

log = logging.getLogger(__name__)

ACTIVITY_EVERY = 4.0  # Telegram shows a chat action for 5 s
INTERRUPTED = "interrupted by a newer message"
STOPPED = "stopped by the user"
NOT_ADDRESSED = "a group voice note that did not address the bot"
_UNPARSED = Invocation(name="", args="")  # marks "not parsed at accept" (a resumed message)


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
        self._generating: dict[str, tuple[asyncio.Task[Reply], int]] = {}
        self._cancel_reasons: dict[int, str] = {}
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
            self._interrupt(message.chat_key, INTERRUPTED)
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
                    await self._process(queue[0])
                queue.popleft()
        finally:
            self._workers.pop(chat_key, None)
            if not queue:
                self._queues.pop(chat_key, None)
            self.tasks.settled.set()

    def _interrupt(self, chat_key: str, reason: str, before: int | None = None) -> bool:
        running = self._generating.get(chat_key)
        if running is None or running[0].done():
            return False
        if before is not None and running[1] >= before:  # a newer message than the asker
            return False
        log.info("cancelling the answer to message %s: %s", running[1], reason)
        self._cancel_reasons[running[1]] = reason
        running[0].cancel(reason)
        return True

    async def _stop_chat(self, chat_key: str, stop_id: int) -> None:
        stopped = self._interrupt(chat_key, STOPPED)
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
        self._invocations[message_id] = invocation
        async with self._bound:
            await self._process(message_id)

    def interrupted(self, chat_key: str, reason: str, asked_by: int) -> None:
        """An interrupt from the queue: cancel this chat's older generation, if it is here."""
        self._interrupt(chat_key, reason, before=asked_by)

    async def _stop_shared(self, message: StoredMessage) -> None:
        """/stop when the generation may be running in another worker."""
        assert self.queue is not None
        working = await self.store.inbox.working(message.platform, message.chat_id, message.id)
        if working:
            await self.queue.interrupt(message.chat_key, STOPPED, message.id)
        text = "Stopped." if working else "There is nothing to stop."
        await self.courier.answer(message, Reply(text=text), in_context=False)

    # one message -----------------------------------------------------------

    async def _process(self, message_id: int) -> None:
        message = await self.store.inbox.get(message_id)
        if message is None or message.state not in (State.RECEIVED, State.WORKING):
            return
        adapter = self.adapters.get(message.platform)
        if adapter is None:
            log.warning("no %s channel configured; message %s waits", message.platform, message_id)
            return
        invocation = self._invocations.pop(message_id, _UNPARSED)
        if invocation is _UNPARSED:  # resumed after a restart: parse it now
            invocation = None if message.in_context else parse_command(message.text)
        await self.store.inbox.set_state(message_id, State.WORKING)
        user = await self.store.users.settings(message.platform, message.user_id)
        spoken = wants_voice(user, message.kind)
        activity = Activity.RECORDING if spoken else Activity.TYPING
        indicator = asyncio.create_task(self._show_activity(adapter, message.chat_id, activity))
        stream: ReplyStream | None = None
        reply: Reply | None = None
        generated = False
        try:
            if (length := cut_length(message.error)) is not None:
                reply = Reply(text=too_long_text(self.limits.max_text_chars, length))
            elif invocation is not None:
                reply = await run_command(invocation, self._command_context(message, invocation))
            else:
                reply, stream, generated = await self._answer_message(
                    message, adapter, user, spoken
                )
        except OmnivoxError as failure:
            log.warning("message %s: %s", message_id, failure)
            reply = Reply(text=failure.user_message)
        except Exception:
            log.exception("message %s failed", message_id)
            reply = Reply(text=OmnivoxError.user_message)
        finally:
            indicator.cancel()
        if reply is not None:
            await self.courier.answer(
                message, reply, in_context=generated, stream=stream,
                notice=self.settings.first_contact_notice.strip() or None,
            )  # fmt: skip
        if message.media is not None and not self.settings.keep_audio:
            await self._release(message.platform, message.media)

    async def _answer_message(
        self, message: StoredMessage, adapter: Adapter, user: UserSettings, spoken: bool
    ) -> tuple[Reply | None, ReplyStream | None, bool]:
        """Understand, keep what was understood, and generate: (reply, the stream it was
        shown in, whether the model wrote it); the reply is None when cancelled."""
        understood = await self.pipeline.understand(message, adapter)
        await self.store.inbox.record_understanding(
            message.id, transcript=understood.transcript, caption=understood.caption,
            language=understood.language,
        )  # fmt: skip
        if understood.ignored:  # a group voice note that did not call us: nothing to say
            await self.store.inbox.set_state(message.id, State.FAILED, NOT_ADDRESSED)
            return None, None, False
        if understood.problem is not None:
            return Reply(text=understood.problem), None, False
        current = dataclasses.replace(
            message,
            transcript=understood.transcript or message.transcript,
            caption=understood.caption or message.caption,
            language=understood.language or message.language,
        )
        quoting = message.platform_message_id
        stream = None if spoken else adapter.open_stream(message.chat_id, quoting)
        return await self._generate(current, understood, user, spoken, stream), stream, True

    async def _generate(
        self,
        message: StoredMessage,
        understood: Understood,
        user: UserSettings,
        spoken: bool,
        stream: ReplyStream | None,
    ) -> Reply | None:
        """Run the generation as its own task so a new message or /stop can cancel it."""
        generation = asyncio.create_task(
            self.pipeline.respond(message, understood, user, spoken=spoken, stream=stream)
        )
        self._generating[message.chat_key] = (generation, message.id)
        try:
            with timed("generate"):
                return await generation
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not generation.cancelled() or (current is not None and current.cancelling()):
                raise
            reason = self._cancel_reasons.pop(message.id, INTERRUPTED)
            await self.store.inbox.set_state(message.id, State.FAILED, reason)
            if stream is not None:
                with contextlib.suppress(Exception):
                    await stream.abort()
            return None
        finally:
            self._generating.pop(message.chat_key, None)

    def _command_context(self, message: StoredMessage, invocation: Invocation) -> CommandContext:
        return CommandContext(
            message, invocation.args, self.store, self.engines, self._release,
            forget_files=self._forget_files,
            notice=self.settings.first_contact_notice.strip(),
        )  # fmt: skip

    async def _forget_files(self, platform: Platform, chat_id: str) -> None:
        """What a channel keeps of a chat outside the store goes with a forget."""
        adapter = self.adapters.get(platform)
        if adapter is None:
            return
        try:
            await adapter.forget_chat(chat_id)
        except Exception as failure:
            log.warning("could not delete a %s chat's files: %s", platform.value, failure)

    async def _release(self, platform: Platform, media: MediaRef) -> None:
        """Let the channel drop what it holds of the media; a failure only costs disk."""
        adapter = self.adapters.get(platform)
        if adapter is None:
            return
        try:
            await adapter.release(media)
        except Exception as failure:
            log.warning("could not release a %s file: %s", platform.value, failure)

    async def _show_activity(self, adapter: Adapter, chat_id: str, activity: Activity) -> None:
        while True:
            try:
                await adapter.show_activity(chat_id, activity)
            except Exception as failure:  # an indicator must never break an answer
                log.debug("activity indicator failed: %s", failure)
            await asyncio.sleep(ACTIVITY_EVERY)
