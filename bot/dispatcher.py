"""Inbox → per-chat ordered work → outbox, durable across crashes.

Accepting a message is one insert into the inbox; the platform is acknowledged
after that and never waits for the answer. Each chat's messages are answered in
order by one worker; chats run in parallel up to one global bound. On start-up,
what was received but not answered is answered, and what was answered but not
delivered is delivered. A reply is marked delivered once sent, so it is never
sent twice by a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import logging
from collections import deque
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Adapter, ReplyStream
from bot.access import REFUSAL, AccessPolicy, rate_limited_text
from bot.commands import CommandContext, parse_command, run_command
from bot.config import Settings
from bot.engines.base import Engines
from bot.errors import DeliveryError, OmnivoxError
from bot.models import Activity, ContentKind, IncomingMessage, Platform, Reply
from bot.pipeline import Pipeline, Understanding, wants_voice
from bot.ports import Accepted, Direction, State, Store, StoredMessage, UserSettings

log = logging.getLogger(__name__)

ACTIVITY_EVERY = 4.0  # Telegram shows a chat action for 5 s
RETRY_SWEEP_EVERY = 2.0
MAX_BACKOFF = 300.0
INTERRUPTED = "interrupted by a newer message"
STOPPED = "stopped by the user"


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Implements `bot.ports.MessageSink` for the adapters."""

    def __init__(
        self, store: Store, engines: Engines, settings: Settings, access: AccessPolicy | None = None
    ) -> None:
        self.store = store
        self.engines = engines
        self.settings = settings
        self.pipeline = Pipeline(engines, store, settings)
        self.access = access or AccessPolicy(settings)
        self.adapters: dict[Platform, Adapter] = {}
        self._bound = asyncio.Semaphore(settings.max_concurrent_chats)
        self._queues: dict[str, deque[int]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._generating: dict[str, tuple[asyncio.Task[Reply], int]] = {}
        self._streams: dict[int, ReplyStream] = {}
        self._cancel_reasons: dict[int, str] = {}
        self._delivering: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        # when the deliveries that failed for now come due: the sweep asks the store only then
        self._retries: list[datetime] = []
        self._settled = asyncio.Event()
        self.running = False

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    # lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Resume unfinished work, then keep retrying deliveries that failed for now."""
        self.running = True
        for message in await self.store.unanswered():
            self._enqueue(message.chat_key, message.id)
        for reply in await self.store.undelivered():
            self._spawn(self._deliver(reply.id))
        self._sweeper = asyncio.create_task(self._sweep_retries(), name="omnivox-retries")

    async def stop(self) -> None:
        """Cancel work in progress; it stays in the inbox and resumes on the next start."""
        self.running = False
        pending = [*self._workers.values(), *self._tasks]
        if self._sweeper is not None:
            pending.append(self._sweeper)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()

    async def idle(self, within: float = 30.0) -> None:
        """Wait until nothing is queued or being delivered (tests and the CLI use it)."""
        async with asyncio.timeout(within):
            while self._workers or self._delivering or self._tasks:
                self._settled.clear()
                await self._settled.wait()

    # MessageSink -----------------------------------------------------------

    async def accept(self, message: IncomingMessage) -> Accepted:
        if not self.access.is_allowed(message):
            if self.access.should_send_refusal(message):
                self._spawn(self._send_direct(message, REFUSAL))
            return Accepted(id=None, refused=True)
        if not self.access.take(message):
            if self.access.should_warn(message):
                limit = self.settings.rate_limit_per_minute
                self._spawn(self._send_direct(message, rate_limited_text(limit)))
            return Accepted(id=None, refused=True)
        command = parse_command(message.text) if message.kind is ContentKind.TEXT else None
        accepted = await self.store.accept(message, in_context=command is None)
        if accepted.duplicate or accepted.id is None:
            return accepted
        if command is not None and command.name == "stop":
            self._spawn(self._stop_chat(message.chat_key, accepted.id))
            return accepted
        if command is None and self.settings.new_message_interrupts:
            self._interrupt(message.chat_key, INTERRUPTED)
        self._enqueue(message.chat_key, accepted.id)
        return accepted

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        await self.store.record_status(platform, platform_message_id, status, error)

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        return await self.store.record_feedback(platform, chat_id, platform_message_id, value)

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None:
        return await self.store.last_incoming_at(platform, chat_id)

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
            self._settled.set()

    def _interrupt(self, chat_key: str, reason: str) -> bool:
        running = self._generating.get(chat_key)
        if running is None or running[0].done():
            return False
        log.info("cancelling the answer to message %s: %s", running[1], reason)
        self._cancel_reasons[running[1]] = reason
        running[0].cancel(reason)
        return True

    async def _stop_chat(self, chat_key: str, stop_id: int) -> None:
        stopped = self._interrupt(chat_key, STOPPED)
        message = await self.store.get(stop_id)
        if message is not None:
            text = "Stopped." if stopped else "There is nothing to stop."
            await self._answer(message, Reply(text=text), in_context=False)

    # one message -----------------------------------------------------------

    async def _process(self, message_id: int) -> None:
        message = await self.store.get(message_id)
        if message is None or message.state not in (State.RECEIVED, State.WORKING):
            return
        adapter = self.adapters.get(message.platform)
        if adapter is None:
            log.warning("no %s channel configured; message %s waits", message.platform, message_id)
            return
        await self.store.set_state(message_id, State.WORKING)
        user = await self.store.user_settings(message.platform, message.user_id)
        spoken = wants_voice(user, message.kind)
        activity = Activity.RECORDING if spoken else Activity.TYPING
        indicator = asyncio.create_task(self._show_activity(adapter, message.chat_id, activity))
        stream: ReplyStream | None = None
        in_context = False
        try:
            command = parse_command(message.text) if not message.in_context else None
            if command is not None:
                context = CommandContext(message, command.args, self.store, self.engines,
                                         self.settings)
                reply = await run_command(command, context)
            else:
                understood = await self.pipeline.understand(message, adapter)
                if isinstance(understood, Reply):
                    reply = understood
                else:
                    stream = None if spoken else adapter.open_stream(
                        message.chat_id, message.platform_message_id
                    )
                    generated = await self._generate(message, understood, user, stream)
                    if generated is None:
                        return
                    reply, in_context = generated, True
        except OmnivoxError as failure:
            log.warning("message %s: %s", message_id, failure)
            reply = Reply(text=failure.user_message, reply_to_id=message.platform_message_id)
        except Exception:
            log.exception("message %s failed", message_id)
            reply = Reply(text=OmnivoxError.user_message, reply_to_id=message.platform_message_id)
        finally:
            indicator.cancel()
        if reply.reply_to_id is None:
            reply = Reply(
                text=reply.text, voice=reply.voice, attachment=reply.attachment,
                choices=reply.choices, feedback=reply.feedback,
                reply_to_id=message.platform_message_id,
            )
        await self._answer(message, reply, in_context=in_context, stream=stream)

    async def _generate(
        self,
        message: StoredMessage,
        understood: Understanding,
        user: UserSettings,
        stream: ReplyStream | None,
    ) -> Reply | None:
        """Run the generation as its own task so a new message or /stop can cancel it."""
        generation = asyncio.create_task(
            self.pipeline.respond(message, understood, user, stream=stream)
        )
        self._generating[message.chat_key] = (generation, message.id)
        try:
            return await generation
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not generation.cancelled() or (current is not None and current.cancelling()):
                raise
            reason = self._cancel_reasons.pop(message.id, INTERRUPTED)
            await self.store.set_state(message.id, State.FAILED, reason)
            if stream is not None:
                with contextlib.suppress(Exception):
                    await stream.abort()
            return None
        finally:
            self._generating.pop(message.chat_key, None)

    async def _show_activity(self, adapter: Adapter, chat_id: str, activity: Activity) -> None:
        while True:
            try:
                await adapter.show_activity(chat_id, activity)
            except Exception as failure:  # an indicator must never break an answer
                log.debug("activity indicator failed: %s", failure)
            await asyncio.sleep(ACTIVITY_EVERY)

    # outbox ----------------------------------------------------------------

    async def _answer(
        self,
        message: StoredMessage,
        reply: Reply,
        *,
        in_context: bool,
        stream: ReplyStream | None = None,
    ) -> None:
        try:
            reply_id = await self.store.add_reply(message.id, reply, in_context=in_context)
        except LookupError:  # the user was just forgotten: answer without storing anything
            adapter = self.adapters.get(message.platform)
            if adapter is not None:
                with contextlib.suppress(DeliveryError):
                    await adapter.send_text(message.chat_id, reply.text)
            return
        if stream is not None:
            self._streams[reply_id] = stream
        # just stored: what `load_reply` would read back is in hand
        row = dataclasses.replace(
            message, id=reply_id, direction=Direction.OUT, state=State.ANSWERED,
            answer_to=message.id, reply_to_platform_id=reply.reply_to_id,
        )  # fmt: skip
        await self._deliver(reply_id, (row, reply))

    async def _deliver(
        self, reply_id: int, stored: tuple[StoredMessage, Reply] | None = None
    ) -> None:
        if reply_id in self._delivering:
            return
        self._delivering.add(reply_id)
        try:
            loaded = stored or await self.store.load_reply(reply_id)
            if loaded is None or loaded[0].state is not State.ANSWERED:
                return
            reply_row, reply = loaded
            adapter = self.adapters.get(reply_row.platform)
            if adapter is None:
                return
            ids = await self._send(adapter, reply_row, reply, self._streams.pop(reply_id, None))
            await self.store.mark_delivered(reply_id, ids)
        except DeliveryError as failure:
            await self._delivery_failed(reply_id, failure)
        except Exception as failure:
            log.exception("delivering reply %s failed", reply_id)
            await self._delivery_failed(reply_id, DeliveryError(str(failure)))
        finally:
            self._delivering.discard(reply_id)
            self._settled.set()

    async def _send(
        self, adapter: Adapter, row: StoredMessage, reply: Reply, stream: ReplyStream | None
    ) -> list[str]:
        chat = row.chat_id
        ids: list[str] = []
        if reply.voice is not None:
            ids += await adapter.send_voice(
                chat,
                reply.voice,
                text=reply.text,
                reply_to_id=reply.reply_to_id,
                feedback_for=row.id if reply.feedback else None,
            )
        elif stream is not None:
            ids += await stream.finish(reply.text)
        else:
            ids += await adapter.send_text(
                chat,
                reply.text,
                reply_to_id=reply.reply_to_id,
                choices=reply.choices,
                feedback_for=row.id if reply.feedback else None,
            )
        if reply.attachment is not None:
            ids += await adapter.send_attachment(
                chat, reply.attachment, reply_to_id=reply.reply_to_id
            )
        return ids

    async def _delivery_failed(self, reply_id: int, failure: DeliveryError) -> None:
        if failure.permanent:
            log.warning("reply %s will not be delivered: %s", reply_id, failure.reason)
            await self.store.mark_delivery_failed(
                reply_id, failure.reason, permanent=True, retry_at=None
            )
            return
        delay = failure.retry_after
        if not delay:  # back off by the attempts made so far
            row = await self.store.get(reply_id)
            attempts = 0 if row is None else row.attempts
            delay = min(2.0 ** (attempts + 1), MAX_BACKOFF)
        log.info("reply %s not delivered (%s); retrying in %.0f s", reply_id, failure.reason,
                 delay)
        retry_at = _now() + timedelta(seconds=delay)
        await self.store.mark_delivery_failed(
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
                for row in await self.store.undelivered(due_before=now):
                    if row.id not in self._delivering:
                        self._spawn(self._deliver(row.id))
            except Exception:
                log.exception("retry sweep failed")
                heapq.heappush(self._retries, now)  # try again at the next sweep

    # direct sends (refusals, limits) ----------------------------------------

    async def _send_direct(self, message: IncomingMessage, text: str) -> None:
        adapter = self.adapters.get(message.platform)
        if adapter is None:
            return
        try:
            await adapter.send_text(message.chat_id, text, reply_to_id=message.message_id)
        except DeliveryError as failure:
            log.info("could not tell %s user: %s", message.platform, failure.reason)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._settled.set()
