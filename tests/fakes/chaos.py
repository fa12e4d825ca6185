"""Random platform faults for the fake servers: a share of calls fails in a chosen way.

A fake server asks `pick()` on each call it may fail; when a fault is drawn it answers
the way the platform does (429 with retry_after, a bare 500, an answer that comes only
after the client gave up, a connection reset before anything was done, WhatsApp's
130429). What was drawn is counted, so a run can say how many of each it met.
"""

from __future__ import annotations

import random
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Chaos:
    """`rate` of the calls get one of `kinds`, drawn evenly, from a seeded generator."""

    rate: float
    kinds: tuple[str, ...]
    seed: int = 0
    stall: float = 3.0  # seconds a "timeout" holds its answer (longer than the client waits)
    drawn: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self) -> str | None:
        if self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        self.drawn[kind] += 1
        return kind


def reset(request: web.Request) -> web.Response:
    """Close the connection with a TCP reset, as a proxy or a crashed front end does."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500, text="connection reset")  # never reaches the client
