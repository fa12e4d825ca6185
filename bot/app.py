"""Composition root: one aiohttp server, the store, the dispatcher and every channel.

The only module (with `bot.cli`) that sees adapters and storage: each part is built here
and handed the settings section and the ports it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.rtc import RtcCalls
from adapters.web.adapter import WebAdapter
from adapters.web.talk import WebTalk
from bot.access import AccessPolicy
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.errors import AdapterError
from bot.http_limits import LINGER, CappedSite, Limits, body_pace
from bot.logs import protect_settings, quiet_statements
from bot.ports.channels import Adapter
from bot.ports.engines import Engines
from bot.redaction import protect
from bot.talk.calls import Talk
from storage.database import upgrade
from storage.store import SqlStore

log = logging.getLogger(__name__)


class Omnivox:
    """Builds everything from settings; `start()` makes it serve, `stop()` winds it down."""

    def __init__(self, settings: Settings, engines: Engines | None = None) -> None:
        protect_settings(settings)
        quiet_statements(sql=settings.server.log_sql)
        if engines is None:
            from bot.engines.registry import build_engines

            engines = build_engines(settings)
        self.settings = settings
        self.engines = engines
        self.store = SqlStore.from_url(settings.storage.database_url)
        self.dispatcher = Dispatcher(
            self.store, engines, settings.conversation, settings.limits,
            AccessPolicy(settings.access),
        )  # fmt: skip
        server = settings.server
        self.http_limits = Limits(
            read_timeout=server.http_read_timeout, min_rate=server.http_min_upload_rate * 1024,
            max_connections=server.http_max_connections,
        )  # fmt: skip
        self.web_app = web.Application(
            client_max_size=settings.limits.max_media_bytes + 1024 * 1024,
            middlewares=[body_pace(self.http_limits)],
        )
        uploads = Path(settings.server.data_dir) / "uploads"
        web_chat = WebAdapter(
            self.dispatcher, self.store.history, limits=settings.limits, uploads=uploads
        )
        self.talk = Talk(self.store, engines, settings.conversation, settings.talk,
                         self.dispatcher.access)  # fmt: skip
        self.calls = RtcCalls(self.talk, settings.talk)
        self.adapters: list[Adapter] = [web_chat, *self._platform_adapters()]
        for adapter in self.adapters:
            self.dispatcher.add_adapter(adapter)
            self.web_app.add_routes(adapter.routes())
        self.web_app.add_routes(WebTalk(self.calls).routes())
        self.web_app.router.add_get("/healthz", self.healthz)
        self._warming: asyncio.Task[None] | None = None

    def _platform_adapters(self) -> list[Adapter]:
        found: list[Adapter] = []
        settings = self.settings
        if settings.telegram.enabled:
            from adapters.telegram.adapter import TelegramAdapter

            telegram = TelegramAdapter(settings.telegram, self.dispatcher, limits=settings.limits)
            protect(telegram.webhook_secret)  # derived from the token when not set
            found.append(telegram)
        if settings.whatsapp.enabled:
            from adapters.whatsapp.adapter import WhatsAppAdapter

            greet = bool(settings.conversation.first_contact_notice.strip())
            whatsapp = WhatsAppAdapter(
                settings.whatsapp, self.dispatcher, self.store.history, limits=settings.limits,
                calls=self.calls, greet_calls=greet,
            )  # fmt: skip
            found.append(whatsapp)
        return found

    async def start(self) -> None:
        """Migrate, start channels, resume unfinished work; models warm in the background.
        A channel that cannot start (its token rejected) is left out and logged."""
        await asyncio.to_thread(upgrade, self.settings.storage.database_url)
        if self.settings.server.warm_engines:
            self._warming = asyncio.create_task(self._warm(), name="omnivox-warm-up")
        for adapter in list(self.adapters):
            try:
                await adapter.start()
            except AdapterError as failure:  # that channel is off; the others serve
                log.error("%s", failure)
                self.adapters.remove(adapter)
                self.dispatcher.adapters.pop(adapter.platform, None)  # its messages wait
        await self.dispatcher.start()

    async def stop(self) -> None:
        await self.calls.close()
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping the %s channel failed", adapter.platform)
        await self.dispatcher.stop()
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._warming
        await self.store.close()

    async def _warm(self) -> None:
        """Load every model once, one after the other, so the first message finds them ready."""
        for engine in self.engines.all():
            began = time.monotonic()
            try:
                await engine.warm_up()
            except Exception as failure:  # reported by /healthz and doctor; answers say so
                log.warning("%s did not load: %s", engine.name, failure)
                continue
            log.info("%s ready in %.1f s", engine.name, time.monotonic() - began)
        await self.dispatcher.pipeline.texts.warm_up()  # the text-language detector

    async def healthz(self, _request: web.Request) -> web.Response:
        body: dict[str, Any] = {"dispatcher": self.dispatcher.running}
        try:
            await self.store.ping()
            body["database"] = True
        except Exception as failure:
            log.warning("health check: database unreachable: %s", failure)
            body["database"] = False
        if self._warming is not None:
            body["engines_warm"] = self._warming.done()
        healthy = body["database"] and body["dispatcher"]
        body["status"] = "ok" if healthy else "unavailable"
        return web.json_response(body, status=200 if healthy else 503)


@contextlib.asynccontextmanager
async def serving(settings: Settings, engines: Engines | None = None) -> AsyncIterator[Omnivox]:
    """Run omnivox on the configured host and port until the block exits."""
    app = Omnivox(settings, engines)
    limits = app.http_limits
    # aiohttp's keep-alive timer runs from when a connection opens: it bounds header and idle time
    runner = web.AppRunner(app.web_app, access_log=None, keepalive_timeout=limits.read_timeout,
                           lingering_time=LINGER)  # fmt: skip
    await runner.setup()
    try:
        await app.start()
        site = CappedSite(runner, settings.server.host, settings.server.port,
                          max_connections=limits.max_connections)  # fmt: skip
        await site.start()
        yield app
    finally:
        await app.stop()
        await runner.cleanup()
