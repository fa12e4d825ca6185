"""WhatsApp Cloud API channel: the webhook routes and the Adapter the core sends through.

WhatsApp cannot edit a sent message, so replies are sent whole (no stream).
The webhook stores what it carries and answers 200 at once: Meta redelivers
anything not acknowledged quickly, so no processing happens inside the request
(the inbox's unique key makes a redelivery a no-op). Sending checks the
24-hour customer-service window first, because Meta only allows free-form
messages within 24 hours of the user's last message.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime

from aiohttp import web

from adapters.base import BaseAdapter
from adapters.rtc import RtcCalls
from adapters.whatsapp import outgoing, signature
from adapters.whatsapp.calls import CallDesk, parse_calls
from adapters.whatsapp.errors import (
    RE_ENGAGEMENT,
    GraphAPIError,
    Severity,
    TokenAlarm,
    to_delivery_error,
)
from adapters.whatsapp.graph import GraphClient, RetryPolicy
from adapters.whatsapp.media_in import fetch_media
from adapters.whatsapp.once import UNCLEAR_WAIT, OnceSender
from adapters.whatsapp.parse import Delivery, NotAWebhook, parse_webhook
from adapters.whatsapp.progress import WhatsAppProgress
from adapters.whatsapp.typing import TypingDots
from adapters.whatsapp.window import ReplyWindow
from bot.config import LimitSettings, WhatsAppSettings
from bot.errors import DeliveryError
from bot.models import Activity, Attachment, Choice, IncomingMessage, MediaRef, Platform, VoiceAudio
from bot.parts import UNRECORDED
from bot.ports.channels import WAITS_FOR_USER, LastSeen, MessageSink, PartLog

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"
# WhatsApp shows a play button (and auto-downloads) only up to this size.
VOICE_LIMIT = 512 * 1024
VOICE_TOO_LONG_NOTE = "\n\n(The spoken version was too long for a WhatsApp voice note.)"
_REMEMBERED_CHATS = 10_000
SEND_TIMEOUT = 30.0  # seconds a Graph call may take


class WhatsAppAdapter(BaseAdapter):
    platform = Platform.WHATSAPP

    def __init__(
        self,
        settings: WhatsAppSettings,
        sink: MessageSink,
        seen: LastSeen,
        *,
        limits: LimitSettings,
        retry: RetryPolicy | None = None,
        unclear_wait: float = UNCLEAR_WAIT,
        timeout: float = SEND_TIMEOUT,
        calls: RtcCalls | None = None,
        greet_calls: bool = True,
    ) -> None:
        self._limits = limits
        self._sink = sink
        self._secret = settings.app_secret.get_secret_value().encode()
        self._verify_token = settings.verify_token.get_secret_value()
        self._graph = GraphClient(
            base_url=settings.graph_base_url,
            version=settings.api_version,
            token=settings.access_token.get_secret_value(),
            phone_number_id=settings.phone_number_id,
            retry=retry,
            timeout=timeout,
        )
        self._once = OnceSender(self._graph, unclear_wait)
        self._calls = CallDesk(self._graph, calls, greet=greet_calls) if calls else None
        self._alarm = TokenAlarm()
        self._last_wamid: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
        self._dots = TypingDots(self._graph, self._alarm)
        self._window = ReplyWindow(seen, self._send, settings.reply_template.strip(),
                                   settings.reply_template_language.strip() or "en")  # fmt: skip

    # lifecycle and routes

    def routes(self) -> Sequence[web.RouteDef]:
        return [web.get(WEBHOOK_PATH, self.verify), web.post(WEBHOOK_PATH, self.receive)]

    async def start(self) -> None:
        if not self._secret:
            log.warning("WHATSAPP_APP_SECRET is not set: every webhook POST will be refused")
        await self._graph.start()

    async def stop(self) -> None:
        if self._calls is not None:
            await self._calls.close()
        await self._graph.close()

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo hub.challenge when the token matches."""
        query = request.query
        token = query.get("hub.verify_token", "")
        if (
            query.get("hub.mode") == "subscribe"
            and self._verify_token
            and hmac.compare_digest(token.encode(), self._verify_token.encode())
        ):
            return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
        return web.Response(status=403, text="verification failed")

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        verdict = signature.check(self._secret, body, request.headers.get(signature.HEADER))
        if verdict is signature.Verdict.MISSING:
            return web.Response(status=401, text="missing signature")
        if verdict is signature.Verdict.WRONG:
            return web.Response(status=403, text="bad signature")
        try:
            parsed = json.loads(body)
            delivery = parse_webhook(parsed)
        except (ValueError, NotAWebhook) as exc:
            return web.Response(status=400, text=f"not a webhook body: {exc}")
        except RecursionError:  # JSON nested deeper than Python reads
            return web.Response(status=400, text="not a webhook body: nested too deep")
        if self._calls is not None:
            self._calls.handle(parse_calls(parsed))
        try:
            await self._store(delivery)
        except Exception:
            log.exception("could not store a WhatsApp delivery; Meta will redeliver it")
            return web.Response(status=500, text="try again")
        return web.Response(text="OK")

    async def _store(self, delivery: Delivery) -> None:
        if delivery.skipped:
            log.warning("skipped %d malformed item(s) in a WhatsApp webhook", delivery.skipped)
        for message in delivery.messages:
            self._remember(message)
            await self._sink.accept(message)
        for fb in delivery.feedback:
            known = await self._sink.record_feedback(
                Platform.WHATSAPP, fb.chat_id, fb.platform_message_id, fb.value
            )
            if not known:
                await self._sink.accept(fb.message)
        for status in delivery.statuses:
            closed = status.status == "failed" and RE_ENGAGEMENT in status.error_codes
            await self._sink.record_status(
                Platform.WHATSAPP, status.message_id,
                WAITS_FOR_USER if closed else status.status, status.error,
                tag=status.callback_data,
            )  # fmt: skip

    def _remember(self, message: IncomingMessage) -> None:
        """The chat's latest wamid (what mark-read and the typing indicator point at)
        and when it was written: a refused or rate-limited user is not in the inbox,
        yet may be told so within the window."""
        self._last_wamid[message.chat_id] = (message.message_id, message.timestamp)
        self._last_wamid.move_to_end(message.chat_id)
        while len(self._last_wamid) > _REMEMBERED_CHATS:
            gone, _ = self._last_wamid.popitem(last=False)
            self._dots.forget(gone)

    # sending

    def open_progress(self, chat_id: str, reply_to_id: str | None) -> WhatsAppProgress:
        async def status(chat: str, text: str, quoting: str | None) -> list[str]:
            return await self.send_text(chat, text, reply_to_id=quoting)

        return WhatsAppProgress(status, chat_id, reply_to_id)

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
        """Text in 4096-character parts, the first quoting the user's message.

        Choices become reply buttons or a list whose ids are the commands. Feedback
        on WhatsApp comes as a 👍/👎 reaction to the reply, so `feedback_for` adds nothing.
        """
        await self._check_window(chat_id, parts)
        return await self._send_text(chat_id, text, reply_to_id, choices, parts)

    async def _send_text(
        self,
        chat_id: str,
        text: str,
        reply_to_id: str | None,
        choices: Sequence[Choice],
        parts: PartLog,
    ) -> list[str]:
        chunks = outgoing.split_text(text)
        payloads = [outgoing.text(chat_id, chunk) for chunk in chunks]
        if choices:
            if chunks and len(chunks[-1]) <= outgoing.INTERACTIVE_BODY_LIMIT:
                payloads[-1] = outgoing.interactive(chat_id, chunks[-1], choices)
            else:
                payloads.append(outgoing.interactive(chat_id, outgoing.CHOICES_PROMPT, choices))
        if payloads and reply_to_id:
            payloads[0]["context"] = {"message_id": reply_to_id}
        return [await self._send(payload, parts, index) for index, payload in enumerate(payloads)]

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
        """The voice note first (part 0), then its text (from part 1). A voice note over
        512 KB is left out (WhatsApp would show a download icon instead of a play button)
        and the text says so; a media failure (131053 and the like) still lets the text go."""
        await self._check_window(chat_id, parts)
        ids: list[str] = []
        if len(voice.data) > VOICE_LIMIT:
            log.info(
                "voice reply of %d bytes is over WhatsApp's 512 KB; text only", len(voice.data)
            )
            text += VOICE_TOO_LONG_NOTE
        else:
            wamid = parts.sent(0) or await self._send_voice_note(chat_id, voice, reply_to_id, parts)
            ids += [wamid] if wamid else []
        quoting = None if ids else reply_to_id
        return ids + await self._send_text(chat_id, text, quoting, (), parts.within(1))

    async def _send_voice_note(
        self, chat_id: str, voice: VoiceAudio, reply_to_id: str | None, parts: PartLog
    ) -> str | None:
        try:
            await self._settled_or_due(parts, 0)
            media_id = await self._graph.upload(
                voice.data, mime_type="audio/ogg", file_name="reply.ogg"
            )
            return await self._post(outgoing.audio(chat_id, media_id, reply_to_id), parts, 0)
        except GraphAPIError as exc:
            if exc.severity is Severity.MEDIA or (
                exc.severity is Severity.PERMANENT and exc.error.code != RE_ENGAGEMENT
            ):
                log.warning("voice note not sent (%s); sending the text alone", exc)
                return None
            raise self._delivery_error(exc) from exc

    async def send_attachment(
        self,
        chat_id: str,
        attachment: Attachment,
        *,
        reply_to_id: str | None = None,
        parts: PartLog = UNRECORDED,
    ) -> list[str]:
        if (sent := parts.sent(0)) is not None:
            return [sent]
        await self._check_window(chat_id, parts)
        await self._settled_or_due(parts, 0)
        try:
            media_id = await self._graph.upload(
                attachment.data, mime_type=attachment.mime_type, file_name=attachment.file_name
            )
        except GraphAPIError as exc:
            raise self._delivery_error(exc) from exc
        payload = outgoing.document(chat_id, media_id, attachment.file_name, reply_to_id)
        return [await self._send(payload, parts, 0)]

    async def _send(self, payload: dict[str, object], parts: PartLog, index: int) -> str:
        try:
            return await self._post(payload, parts, index)
        except GraphAPIError as exc:
            raise self._delivery_error(exc) from exc

    async def _post(self, payload: dict[str, object], parts: PartLog, index: int) -> str:
        return await self._once.post(payload, parts, index)

    async def _settled_or_due(self, parts: PartLog, index: int) -> None:
        await self._once.settled_or_due(parts, index)

    def _delivery_error(self, exc: GraphAPIError) -> DeliveryError:
        if exc.severity is Severity.AUTH:
            self._alarm.report(exc)
        return to_delivery_error(exc)

    async def _check_window(self, chat_id: str, parts: PartLog) -> None:
        seen = self._last_wamid.get(chat_id)
        await self._window.check(chat_id, seen[1] if seen else None, parts)

    # media and activity

    async def download(self, media: MediaRef) -> bytes:
        return await fetch_media(self._graph, self._limits, self._alarm, media)

    async def show_activity(self, chat_id: str, activity: Activity) -> None:
        """Mark the user's last message read and show the typing dots (WhatsApp has
        one indicator for text and voice)."""
        seen = self._last_wamid.get(chat_id)
        if seen is not None:
            await self._dots.show(chat_id, seen[0])
