"""What a transport (a web page's WebRTC, a WhatsApp call) needs of the talk engine.

Audio goes in as 16 kHz mono float32 samples and comes out as 20 ms of 48 kHz mono
int16; events (state, transcripts) go out through `emit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from bot.models import ContentKind, IncomingMessage, Platform

HEARD_RATE = 16_000  # what `hear` takes
SAID_RATE = 48_000  # what `frame` gives, 20 ms at a time

Emit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is talking, and in which chat."""

    platform: Platform
    chat_id: str
    user_id: str
    user_name: str | None = None

    def probe(self, message_id: str = "talk") -> IncomingMessage:
        """The shape access rules and the store expect of something this caller says."""
        return IncomingMessage(platform=self.platform, message_id=message_id,
                               chat_id=self.chat_id, user_id=self.user_id,
                               user_name=self.user_name, kind=ContentKind.VOICE)  # fmt: skip


class TalkRefused(Exception):
    """This caller may not talk now; `reason` is the sentence to tell them."""

    def __init__(self, reason: str, *, busy: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.busy = busy


class Conversation(Protocol):
    """One live session."""

    talk_id: str
    emit: Emit

    def start(self, greeting: str | None = None) -> None: ...

    def hear(self, samples: np.ndarray) -> None: ...

    def frame(self) -> np.ndarray: ...


class TalkLine(Protocol):
    """Admits callers and opens their sessions."""

    async def open(self, caller: Caller, emit: Emit) -> Conversation:
        """Raises TalkRefused when this caller may not talk now."""
        ...

    async def close(self, talk_id: str) -> bool: ...
