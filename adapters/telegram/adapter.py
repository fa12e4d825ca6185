"""The Telegram channel: a python-telegram-bot Application inside our aiohttp server.

PTB supplies the Bot (HTTP client, request timeouts, flood control) and its lifecycle;
updates do not go through PTB's Updater or update queue, because those confirm an update
to Telegram before it is handled. Polling (`polling.Poller`) and the webhook route below
acknowledge only after `sink.accept` has stored the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from telegram import BotCommand
from telegram.constants import ChatAction
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ExtBot

from adapters.base import BaseAdapter
from adapters.telegram.application import build_application
from adapters.telegram.download import Downloader
from adapters.telegram.draft import DraftStream
from adapters.telegram.errors import delivering
from adapters.telegram.markup import keyboard
from adapters.telegram.outgoing import TextSender
from adapters.telegram.parse import BotIdentity, CallbackAction, Malformed, parse_update
from adapters.telegram.polling import ALLOWED_UPDATES, Poller
from adapters.telegram.probe import REJECTED
from adapters.telegram.progress import TelegramProgress
from adapters.telegram.request import AiohttpRequest
from adapters.telegram.stream import EditStream
from adapters.telegram.voice_out import send_document_once, send_voice_reply
from bot import commands
from bot.config import LimitSettings, TelegramSettings
from bot.errors import AdapterError
from bot.models import Activity, Attachment, Choice, IncomingMessage, MediaRef, Platform, VoiceAudio
from bot.parts import UNRECORDED
from bot.ports.channels import MessageSink, PartLog
from bot.ports.leader import Leadership

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHAT_ACTIONS = {Activity.TYPING: ChatAction.TYPING, Activity.RECORDING: ChatAction.RECORD_VOICE}


class TelegramAdapter(BaseAdapter):
    platform = Platform.TELEGRAM

    def __init__(
        self,
        settings: TelegramSettings,
        sink: MessageSink,
        *,
        limits: LimitSettings,
        receive: bool = True,
        leader: Leadership | None = None,
    ) -> None:
        """`receive=False` (a worker): send only; the gateways take the updates. With
        `leader`, long polling runs only while this process leads (one of many gateways)."""
        self.settings = settings
        self.receive = receive
        self.leader = leader
        self._leading: asyncio.Task[None] | None = None
        self.sink = sink
        self.updates_request = AiohttpRequest(
            connection_pool_size=1, connect_timeout=10, read_timeout=10, write_timeout=20,
            pool_timeout=10,
        )  # fmt: skip
        self.application = build_application(settings, self.updates_request)
        self.bot: ExtBot[Any] = self.application.bot
        self.text = TextSender(self.bot)
        self.downloader = Downloader(self.bot, limits.max_media_mb)
        self.identity = BotIdentity(id=0, username="")
        self._poller: Poller | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.drafts = True  # until Telegram refuses sendMessageDraft

    # lifecycle ----------------------------------------------------------------------
    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.webhook_url)

    @property
    def webhook_secret(self) -> str:
        """The configured secret, else one derived from the token (the header is always checked)."""
        secret = self.settings.webhook_secret.get_secret_value()
        if secret:
            return secret
        token = self.settings.bot_token.get_secret_value()
        return hashlib.sha256(f"omnivox-webhook:{token}".encode()).hexdigest()

    def routes(self) -> Sequence[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._webhook)] if self.webhook_mode and self.receive else []

    async def start(self) -> None:
        """Raises AdapterError, without the token, when Telegram rejects it (PTB's own
        message for that quotes the token)."""
        try:
            await self.application.initialize()  # getMe: who we are in groups
        except InvalidToken:
            await asyncio.gather(self.bot.request.shutdown(), self.updates_request.shutdown())
            raise AdapterError(f"{REJECTED}; the Telegram channel is off") from None
        self.identity = BotIdentity(id=self.bot.id, username=self.bot.username)
        await self.application.start()
        if not self.receive:
            log.info("Telegram: @%s (sending only)", self.identity.username)
            return
        async with delivering():
            await self.bot.set_my_commands([BotCommand(n, d) for n, d in commands.menu()])
            if self.webhook_mode:
                await self.bot.set_webhook(
                    self.settings.webhook_url, secret_token=self.webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )  # fmt: skip
            else:
                await self.bot.delete_webhook()
        if not self.webhook_mode and self.leader is not None:
            self._leading = asyncio.create_task(self._poll_while_leading(self.leader))
        elif not self.webhook_mode:
            self._poller = Poller(self.updates_request, self.bot.base_url, self.ingest)
            self._poller.start()
        log.info("Telegram: @%s (%s)", self.identity.username,
                 "webhook" if self.webhook_mode else "long polling")  # fmt: skip

    async def _poll_while_leading(self, leader: Leadership) -> None:
        """Poll while this gateway holds the lock; a new leader fetches what the last one
        did not confirm (the inbox ignores what it already has)."""
        while True:
            await leader.acquire()
            self._poller = Poller(self.updates_request, self.bot.base_url, self.ingest)
            self._poller.start()
            try:
                await leader.lost()
            finally:
                poller, self._poller = self._poller, None
                await poller.stop()

    async def stop(self) -> None:
        if self._leading is not None:
            self._leading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._leading
        if self._poller is not None:
            await self._poller.stop()
        if self.leader is not None:
            await self.leader.release()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    # incoming -----------------------------------------------------------------------
    async def ingest(self, update: Any) -> None:
        """Store what the update carries; returns only once it is safe to acknowledge.
        Raises only when trying again may succeed (the inbox could not be written)."""
        parsed = parse_update(update, self.identity)
        if isinstance(parsed, IncomingMessage):
            await self.sink.accept(parsed)
        elif isinstance(parsed, CallbackAction):
            await self._on_button(parsed)
        elif isinstance(parsed, Malformed):
            await self._reject(update, parsed.reason)

    async def _reject(self, update: Any, reason: str) -> None:
        """Recorded as failed and then acknowledged: Telegram would offer it forever."""
        update_id = update.get("update_id") if isinstance(update, Mapping) else None
        log.warning("Telegram update %r cannot be handled: %s", update_id, reason)
        try:
            await self.sink.reject(Platform.TELEGRAM, update, reason)
        except Exception:  # the update is no better for being fetched again
            log.exception("recording Telegram update %r as failed failed", update_id)

    async def _on_button(self, action: CallbackAction) -> None:
        note = None
        if action.command is not None:
            await self.sink.accept(action.command)
        elif action.feedback is not None and action.message_id is not None:
            known = await self.sink.record_feedback(
                Platform.TELEGRAM, action.chat_id, action.message_id, action.feedback
            )
            note = "Thanks for the feedback!" if known else None
        self._spawn(self._answer_button(action.query_id, note))

    async def _answer_button(self, query_id: str, note: str | None) -> None:
        try:
            await self.bot.answer_callback_query(query_id, text=note)
        except TelegramError as error:  # too old or already answered: nothing to undo
            log.info("answerCallbackQuery failed: %s", error)

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            return web.Response(status=403)
        try:
            update = await request.json()
        except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
            return web.Response(status=400)
        try:
            await self.ingest(update)
        except Exception:
            log.exception("Telegram update %s not stored; Telegram will resend it",
                          update.get("update_id"))  # fmt: skip
            return web.Response(status=500)
        return web.Response(status=200)

    # outgoing -----------------------------------------------------------------------
    async def download(self, media: MediaRef) -> bytes:
        return await self.downloader.fetch(media)

    async def send_text(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to_id: str | None = None,
        choices: Sequence[Choice] = (),
        feedback_for: int | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        return await self.text.send_all(
            chat_id, text, reply_to_id=reply_to_id, markup=keyboard(choices, feedback_for),
            parts=parts,
        )

    async def send_voice(
        self,
        chat_id: str,
        voice: VoiceAudio,
        *,
        text: str,
        reply_to_id: str | None = None,
        feedback_for: int | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        return await send_voice_reply(self.bot, self.send_text, chat_id, voice, text,
                                      reply_to_id, feedback_for, parts)  # fmt: skip

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        return await send_document_once(self.bot, chat_id, attachment, reply_to_id, parts)

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        async with delivering():
            await self.bot.send_chat_action(chat_id, CHAT_ACTIONS[activity])

    def open_stream(self, chat_id: str, reply_to_id: str | None) -> DraftStream | EditStream:
        """A draft in a private chat (positive ids are users), an edited message in a group."""
        if self.drafts and chat_id.isdigit():
            return DraftStream(self.text, chat_id, reply_to_id, on_refused=self._no_drafts)
        return EditStream(self.text, chat_id, reply_to_id)

    def _no_drafts(self) -> None:
        log.warning("Telegram refused sendMessageDraft; replies stream by editing a message")
        self.drafts = False

    def open_progress(self, chat_id: str, reply_to_id: str | None) -> TelegramProgress:
        return TelegramProgress(self.text, chat_id, reply_to_id)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

