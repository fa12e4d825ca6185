"""A talk session carried over WebRTC (aiortc): the caller's audio in, omnivox's out.

Shared by the web chat's Talk button and WhatsApp calls; both send an SDP offer and get
an answer. A call hangs up when either side ends it, when the connection fails, or when
no audio has come in for `idle_timeout_s` (a peer that never sends any, or vanished).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from bot.config import TalkSettings
from bot.ports.talk import HEARD_RATE, SAID_RATE, Caller, Conversation, TalkLine

log = logging.getLogger(__name__)

EVENTS = "events"  # the data channel the page opens for state and transcripts
OnEnd = Callable[[str], Awaitable[None]]


class BadOffer(ValueError):
    """The SDP offer cannot start a call; the message is one line saying why."""


class SessionTrack(MediaStreamTrack):
    """The session's voice, 20 ms at a time, paced in real time."""

    kind = "audio"

    def __init__(self, session: Conversation) -> None:
        super().__init__()
        self._session = session
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._pts / SAID_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = self._session.frame()
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAID_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAID_RATE)
        self._pts += len(pcm)
        return frame


def _one_line(failure: BaseException) -> str:
    text = " ".join(str(failure).split()) or type(failure).__name__
    return text[:200]


class RtcCall:
    """One peer connection and the session it carries."""

    def __init__(self, pc: RTCPeerConnection, session: Conversation, talk: TalkLine,
                 settings: TalkSettings, on_end: OnEnd | None) -> None:  # fmt: skip
        self.pc = pc
        self.session = session
        self.talk = talk
        self.settings = settings
        self.on_end = on_end
        self.channel: RTCDataChannel | None = None
        self.pending: list[str] = []
        self.heard_at = time.monotonic()
        self.ended = asyncio.Event()
        self.forget: Callable[[str], None] = lambda _talk_id: None
        self.reason = ""
        self._tasks: list[asyncio.Task[None]] = []

    def emit(self, event: dict[str, Any]) -> None:
        text = json.dumps(event, ensure_ascii=False)
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(text)
        else:
            self.pending.append(text)

    def opened(self, channel: RTCDataChannel) -> None:
        if channel.label != EVENTS:
            return
        self.channel = channel

        def flush() -> None:
            for text in self.pending:
                channel.send(text)
            self.pending.clear()

        if channel.readyState == "open":
            flush()
        else:
            channel.on("open", flush)

    def listen(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._tasks.append(asyncio.create_task(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=HEARD_RATE)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                await self.hang_up("the caller's audio ended")
                return
            self.heard_at = time.monotonic()
            if not isinstance(frame, av.AudioFrame):
                continue
            for out in resampler.resample(frame):
                self.session.hear(out.to_ndarray().reshape(-1))

    def watch(self) -> None:
        self._tasks.append(asyncio.create_task(self._watchdog()))

    async def _watchdog(self) -> None:
        idle = self.settings.idle_timeout_s
        while True:
            await asyncio.sleep(min(1.0, idle / 4))
            if time.monotonic() - self.heard_at > idle:
                await self.hang_up(f"no audio for {idle:g} s")
                return

    async def hang_up(self, reason: str) -> None:
        """End the call (idempotent): the session, the connection, then `on_end`."""
        if self.ended.is_set():
            return
        self.ended.set()
        self.reason = reason
        self.forget(self.session.talk_id)
        log.info("talk %s hung up: %s", self.session.talk_id, reason)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        await self.talk.close(self.session.talk_id)
        with contextlib.suppress(Exception):
            await self.pc.close()
        if self.on_end is not None:
            try:
                await self.on_end(reason)
            except Exception as failure:
                log.warning("talk %s: ending the call failed: %s", self.session.talk_id, failure)


class RtcCalls:
    """Answers offers with calls, and finds them again by talk id."""

    def __init__(self, talk: TalkLine, settings: TalkSettings) -> None:
        self.talk = talk
        self.settings = settings
        self.calls: dict[str, RtcCall] = {}

    def _configuration(self) -> RTCConfiguration:
        servers = [RTCIceServer(urls=url) for url in self.settings.ice_server_urls]
        return RTCConfiguration(iceServers=servers)  # none: host candidates only, no STUN

    async def answer(self, offer: str, caller: Caller, *, greeting: str | None = None,
                     on_end: OnEnd | None = None) -> tuple[str, str]:  # fmt: skip
        """(talk id, SDP answer). TalkRefused: the caller may not talk now; BadOffer:
        the offer cannot be used."""
        pc = RTCPeerConnection(self._configuration())
        try:
            await _set_offer(pc, offer)
            session = await self.talk.open(caller, lambda event: None)
        except BaseException:
            await pc.close()
            raise
        call = RtcCall(pc, session, self.talk, self.settings, on_end)
        session.emit = call.emit
        pc.on("datachannel", call.opened)
        pc.on("track", call.listen)

        async def state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await call.hang_up(f"connection {pc.connectionState}")

        pc.on("connectionstatechange", state)
        try:
            for receiver in pc.getReceivers():
                if receiver.track is not None:
                    call.listen(receiver.track)
            pc.addTrack(SessionTrack(session))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as failure:
            await call.hang_up("could not answer")
            raise BadOffer(f"could not answer the offer: {_one_line(failure)}") from failure
        self.calls[session.talk_id] = call
        call.forget = lambda talk_id: self.calls.pop(talk_id, None)  # type: ignore[assignment]
        session.start(greeting)
        call.watch()
        return session.talk_id, pc.localDescription.sdp

    async def hang_up(self, talk_id: str, reason: str = "hung up") -> bool:
        call = self.calls.get(talk_id)
        if call is None:
            return False
        await call.hang_up(reason)
        return True

    async def close(self) -> None:
        for call in list(self.calls.values()):
            await call.hang_up("omnivox is stopping")


async def _set_offer(pc: RTCPeerConnection, offer: str) -> None:
    if not isinstance(offer, str) or "m=audio" not in offer:
        raise BadOffer("the offer is not an SDP offer with audio (no m=audio line)")
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    except Exception as failure:
        raise BadOffer(f"the SDP offer was refused: {_one_line(failure)}") from failure
