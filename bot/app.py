"""Composition root: one aiohttp server, the store, the dispatcher and every channel.

The only module (with `bot.cli`) that sees adapters and storage: each part is built here
and handed the settings section and the ports it needs. `role` says which process this
is: "all" (`omnivox run`, everything in one), "gateway" (accepts into the inbox and
acknowledges) or "worker" (answers the queued jobs and sends the replies).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from adapters.rtc import RtcCalls
from adapters.web.adapter import WebAdapter
from adapters.web.talk import WebTalk
from bot import metrics
from bot.access import AccessPolicy
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.errors import AdapterError
from bot.http_limits import LINGER, CappedSite, Limits, body_pace
from bot.logs import protect_settings, quiet_statements
from bot.ports.channels import Adapter
from bot.ports.engines import Engines
from bot.ports.leader import Leadership
from bot.ports.queue import WorkQueue
from bot.redaction import protect
from bot.roles.worker import Worker
from bot.talk.calls import Talk
from storage.database import upgrade
from storage.store import SqlStore

Role = Literal["all", "gateway", "worker"]

log = logging.getLogger(__name__)


class Omnivox:
    """Builds everything from settings; `start()` makes it serve, `stop()` winds it down."""

    def __init__(
        self, settings: Settings, engines: Engines | None = None, *, role: Role = "all"
    ) -> None:
        protect_settings(settings)
        quiet_statements(sql=settings.server.log_sql)
        if engines is None:
            from bot.engines.registry import build_engines

            engines = build_engines(settings)
        self.settings = settings
        self.engines = engines
        self.role = role
        url = settings.storage.database_url
        self.store = SqlStore.from_url(url, queued=role != "all")
        self.queue: WorkQueue | None = None
        if role != "all":
            from storage.queue import PgQueue

            self.queue = PgQueue(url, heartbeat=settings.scale.heartbeat,
                                 stalled_after=settings.scale.stalled_after)  # fmt: skip
        self.dispatcher = Dispatcher(
            self.store, engines, settings.conversation, settings.limits,
            AccessPolicy(settings.access), queue=self.queue,
            delivery_lease=settings.scale.delivery_lease,
        )  # fmt: skip
        self.worker: Worker | None = None
        if role == "worker":
            assert self.queue is not None
            scale = settings.scale
            self.worker = Worker(
                self.dispatcher, self.queue, concurrency=scale.worker_concurrency,
                recover_every=scale.heartbeat, resume_every=scale.delivery_lease / 2,
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
            if role != "worker":  # a worker takes no traffic: only its health is served
                self.web_app.add_routes(adapter.routes())
        if role != "worker":  # a live call is talked where it arrives, on that process's engines
            self.web_app.add_routes(WebTalk(self.calls).routes())
        self.web_app.router.add_get("/healthz", self.healthz)
        self.web_app.router.add_get("/metrics", self.metrics)
        self._warming: asyncio.Task[None] | None = None

    def _platform_adapters(self) -> list[Adapter]:
        found: list[Adapter] = []
        settings = self.settings
        if settings.telegram.enabled:
            from adapters.telegram.adapter import TelegramAdapter

            telegram = TelegramAdapter(settings.telegram, self.dispatcher, limits=settings.limits,
                                       receive=self.role != "worker",
                                       leader=self._polling_leader())  # fmt: skip
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

    def _polling_leader(self) -> Leadership | None:
        """Of many gateways, one polls Telegram: the holder of a PostgreSQL advisory lock."""
        if self.role != "gateway" or self.settings.telegram.webhook_url:
            return None
        from storage.leader import PgLeader

        return PgLeader(self.settings.storage.database_url, "telegram-polling",
                        retry=self.settings.scale.leader_retry)  # fmt: skip

    async def start(self) -> None:
        """Migrate, start channels, resume unfinished work; models warm in the background.
        A channel that cannot start (its token rejected) is left out and logged."""
        await asyncio.to_thread(upgrade, self.settings.storage.database_url)
        if self.settings.server.warm_engines and self.role != "gateway":
            self._warming = asyncio.create_task(self._warm(), name="omnivox-warm-up")
        for adapter in list(self.adapters):
            try:
                await adapter.start()
            except AdapterError as failure:  # that channel is off; the others serve
                log.error("%s", failure)
                self.adapters.remove(adapter)
                self.dispatcher.adapters.pop(adapter.platform, None)  # its messages wait
        if self.worker is not None:
            await self.worker.start()
        elif self.queue is not None:  # a gateway: accept only
            await self.queue.open()
            await self.dispatcher.start(work=False)
        else:
            await self.dispatcher.start()

    async def stop(self) -> None:
        await self.calls.close()
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping the %s channel failed", adapter.platform)
        if self.worker is not None:
            await self.worker.stop()
        else:
            await self.dispatcher.stop()
            if self.queue is not None:
                await self.queue.close()
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
        if self.queue is not None:
            body["queue"] = await self._queue_ready()
        if self.worker is not None:
            body["worker"] = self.worker.running
        if self._warming is not None:
            body["engines_warm"] = self._warming.done()
        healthy = all(body[key] for key in ("database", "dispatcher", "queue", "worker")
                      if key in body)  # fmt: skip
        body["status"] = "ok" if healthy else "unavailable"
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        """Prometheus text format; the database's figures are read for each scrape."""
        body = await metrics.render(self.store, self.queue)
        return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})

    async def _queue_ready(self) -> bool:
        assert self.queue is not None
        try:
            await self.queue.ping()
        except Exception as failure:
            log.warning("health check: job queue unreachable: %s", failure)
            return False
        return True


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, engines: Engines | None = None, *, role: Role = "all"
) -> AsyncIterator[Omnivox]:
    """Run omnivox on the configured host and port until the block exits."""
    app = Omnivox(settings, engines, role=role)
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
