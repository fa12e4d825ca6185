"""How long a client may take and how many may connect: the HTTP server's own limits.

aiohttp waits for a request's headers, for its body and for the next request on a kept-alive
connection as long as the client likes, and accepts every connection, so a few hundred slow
or idle sockets held a server open forever. The limits here apply to every route (the web API
and the webhooks):

- headers and idle time: a connection that has not sent a complete request `read_timeout`
  seconds after it opened (or after its last response) is closed (aiohttp's keep-alive timer,
  which runs from the moment a connection opens);
- the body: it may pause for at most `read_timeout` seconds, and after the first
  `read_timeout` seconds it must have arrived at `min_rate` bytes a second on average; else the
  handler is stopped where it reads and the client gets 408 (a 20 MB upload at 16 KB/s passes);
- connections: past `max_connections`, a new one gets 503 and is closed.

A client that goes away mid-body ends its request quietly instead of with a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LINGER = 2.0  # seconds a refused body is still read so the client sees the answer
TOO_SLOW = "The request arrived too slowly; please try again on a better connection."
_BUSY = b'{"error": "Too many connections; please try again soon."}'
_FULL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nRetry-After: 5\r\nConnection: close\r\n\r\n%s" % (len(_BUSY), _BUSY)
)


@dataclass(frozen=True, slots=True)
class Limits:
    read_timeout: float  # seconds
    min_rate: float  # bytes per second, after the first read_timeout seconds of a body
    max_connections: int


def body_pace(limits: Limits) -> Middleware:
    """The middleware that holds a request body to `limits`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = request.content
        watching = request.body_exists and not body.is_eof()
        try:
            async with asyncio.timeout(None) as deadline:
                watch = asyncio.create_task(_watch(body, deadline, limits)) if watching else None
                try:
                    return await handler(request)
                finally:
                    if watch is not None:
                        watch.cancel()
        except TimeoutError:
            if not deadline.expired():
                raise
            log.info("request body from %s too slow; answered 408", request.remote)
            response = web.json_response({"error": TOO_SLOW}, status=408)
            response.force_close()
            return response
        except ConnectionResetError:
            if request.transport is not None:
                raise
            return web.Response(status=400)  # the client is gone; nothing is sent

    return middleware


async def _watch(body: StreamReader, deadline: asyncio.Timeout, limits: Limits) -> None:
    """Fire `deadline` when the body stalls or falls below the rate; return once it is in."""
    loop = asyncio.get_running_loop()
    began = last_at = loop.time()
    last_size = body.total_raw_bytes
    tick = min(1.0, limits.read_timeout / 4)
    while not body.is_eof():
        await asyncio.sleep(tick)
        now, size = loop.time(), body.total_raw_bytes
        if size != last_size:
            last_size, last_at = size, now
        late = now - began - limits.read_timeout
        if now - last_at >= limits.read_timeout or (late > 0 and size < limits.min_rate * late):
            deadline.reschedule(loop.time())
            return


class CappedSite(web.BaseSite):
    """A TCP site that holds at most `max_connections` connections at once."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, max_connections: int):
        super().__init__(runner)
        self._host, self._port = host, port
        self._max = max_connections
        self._open = 0
        self._warned_at = 0.0

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None  # BaseSite checks the runner was set up
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._protocol(server), self._host, self._port, backlog=self._backlog
        )

    def _protocol(self, server: web.Server) -> asyncio.Protocol:
        if self._open >= self._max:
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning("%d connections open: refusing more (OMNIVOX_HTTP_MAX_CONNECTIONS)",
                            self._open)  # fmt: skip
            return _Refused()
        self._open += 1
        return _Counted(server(), self)

    def closed(self) -> None:
        self._open -= 1


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted until the connection is lost."""

    def __init__(self, inner: asyncio.Protocol, site: CappedSite) -> None:
        self._inner, self._site = inner, site

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._site.closed()
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class _Refused(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_FULL)
        transport.close()
