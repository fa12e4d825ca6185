"""One message answered: a command run, or what was said understood and the model's answer
generated, cancellable by `/stop` or a newer message; the reply goes to the courier."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from bot.commands import run_command
from bot.config import ConversationSettings, LimitSettings
from bot.delivery import Courier
from bot.errors import OmnivoxError
from bot.invocation import CommandContext, Invocation, parse_command
from bot.limits import cut_length, too_long_text
from bot.metrics import timed
from bot.models import Activity, MediaRef, Platform, Reply
from bot.pipeline import Pipeline, Understood, wants_voice
from bot.ports.channels import Adapter, ReplyStream
from bot.ports.engines import Engines
from bot.ports.store import State, Store, StoredMessage, UserSettings

log = logging.getLogger(__name__)

ACTIVITY_EVERY = 4.0  # Telegram shows a chat action for 5 s
INTERRUPTED = "interrupted by a newer message"
STOPPED = "stopped by the user"
NOT_ADDRESSED = "a group voice note that did not address the bot"
UNPARSED = Invocation(name="", args="")  # marks "not parsed at accept" (a resumed message)


class Answerer:
    """Answers one message at a time per chat; the dispatcher decides which and when."""

    def __init__(
        self,
        store: Store,
        engines: Engines,
        pipeline: Pipeline,
        courier: Courier,
        adapters: dict[Platform, Adapter],
        settings: ConversationSettings,
        limits: LimitSettings,
    ) -> None:
        self.store = store
        self.engines = engines
        self.pipeline = pipeline
        self.courier = courier
        self.adapters = adapters
        self.settings = settings
        self.limits = limits
        self._generating: dict[str, tuple[asyncio.Task[Reply], int]] = {}
        self._cancel_reasons: dict[int, str] = {}

    def interrupt(self, chat_key: str, reason: str, before: int | None = None) -> bool:
        """Cancel the chat's generation in progress (only one older than `before`, if set)."""
        running = self._generating.get(chat_key)
        if running is None or running[0].done():
            return False
        if before is not None and running[1] >= before:  # a newer message than the asker
            return False
        log.info("cancelling the answer to message %s: %s", running[1], reason)
        self._cancel_reasons[running[1]] = reason
        running[0].cancel(reason)
        return True


    async def process(self, message_id: int, invocation: Invocation | None = UNPARSED) -> None:
        """Answer one message (a command, or what the model says) and hand the reply on."""
        message = await self.store.inbox.get(message_id)
        if message is None or message.state not in (State.RECEIVED, State.WORKING):
            return
        adapter = self.adapters.get(message.platform)
        if adapter is None:
            log.warning("no %s channel configured; message %s waits", message.platform, message_id)
            return
        if invocation is UNPARSED:  # resumed after a restart: parse it now
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
            await self.release(message.platform, message.media)

    async def _answer_message(
        self, message: StoredMessage, adapter: Adapter, user: UserSettings, spoken: bool
    ) -> tuple[Reply | None, ReplyStream | None, bool]:
        """Understand, keep what was understood, and generate: (reply, the stream it was
        shown in, whether the model wrote it); the reply is None when cancelled."""
        understood = await self.pipeline.understand(message, adapter, user)
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
            message, invocation.args, self.store, self.engines, self.release,
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

    async def release(self, platform: Platform, media: MediaRef) -> None:
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
