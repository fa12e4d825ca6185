"""An aiortc peer for tests and benchmarks: it plays audio in real time to a talk session,
records what it hears (with arrival times), and collects the `events` channel's JSON."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections import deque
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)

from bot.audio import decode_audio
from tests.support.corpus import corpus_path

RATE = 16_000
FRAME = RATE // 50
LOUD = 300  # int16 peak above which a received frame counts as sound


def speech(name: str) -> np.ndarray:
    """A recorded sample of the shared corpus as 16 kHz mono float32."""
    return decode_audio(corpus_path("audio", name).read_bytes()).samples


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.float32)


class Microphone(MediaStreamTrack):
    """Sends what was queued, 20 ms at a time in real time, and silence between."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: deque[np.ndarray] = deque()
        self.paused = False  # True: sends nothing at all (a peer that vanished)
        self.sent_at: list[tuple[float, bool]] = []  # (time, was speech from the queue)
        self._start: float | None = None
        self._pts = 0

    def say(self, samples: np.ndarray) -> None:
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        for start in range(0, len(pcm), FRAME):
            chunk = pcm[start : start + FRAME]
            self.queue.append(np.pad(chunk, (0, FRAME - len(chunk))))

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        while True:
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not self.paused:
                break
            self._pts += FRAME
        queued = bool(self.queue)
        pcm = self.queue.popleft() if queued else np.zeros(FRAME, np.int16)
        self.sent_at.append((time.monotonic(), queued))
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame

    async def drained(self) -> None:
        while self.queue:
            await asyncio.sleep(0.02)


class TalkPeer:
    """The caller's side of a call: `offer()`, then `accept(answer)`."""

    def __init__(self, *, send_audio: bool = True, events: bool = True) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = Microphone()
        if send_audio:
            self.pc.addTrack(self.mic)
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.events: list[dict[str, Any]] = []
        self.heard: list[tuple[float, bool]] = []  # (arrival time, loud)
        if events:  # a WhatsApp caller (Meta) opens no data channel
            channel = self.pc.createDataChannel("events")
            channel.on("message", lambda text: self.events.append(json.loads(text)))
        self.pc.on("track", self._track)
        self._tasks: list[asyncio.Task[None]] = []

    def _track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.create_task(self._listen(track)))

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            samples = frame.to_ndarray()  # type: ignore[union-attr]
            self.heard.append((time.monotonic(), bool(np.abs(samples).max() > LOUD)))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def say(self, samples: np.ndarray) -> None:
        """Play `samples` (16 kHz mono float32) in real time, until they are all sent."""
        self.mic.say(samples)
        await self.mic.drained()

    async def until(self, done: Any, within: float = 30.0) -> None:
        async with asyncio.timeout(within):
            while not done():
                await asyncio.sleep(0.05)

    def transcripts(self, role: str) -> list[str]:
        return [e["text"] for e in self.events
                if e.get("type") == "transcript" and e["role"] == role and e["final"]]

    def states(self) -> list[str]:
        return [e["state"] for e in self.events if e.get("type") == "state"]

    def loud_since(self, since: float) -> list[bool]:
        return [loud for at, loud in self.heard if at >= since]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()
