"""A minute of unbroken speech: heard in pieces, each stored, answered once at the pause."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot.models import Platform
from bot.ports.store import Direction, State
from storage.store import SqlStore
from tests.bot.talk.conftest import CALLER, IN_FRAME, Conversation
from tests.support.talk_peer import silence, speech

pytestmark = pytest.mark.corpus


async def test_sixty_seconds_of_speech_is_kept_in_pieces_and_answered_once(
    conversation: Conversation, store: SqlStore
) -> None:
    sentence = speech("fr_picovoice_leopard.wav")[16_000 : int(16_000 * 5.8)]  # no pauses
    minute = np.concatenate([sentence] * 13)  # 62 s
    for start in range(0, len(minute), IN_FRAME * 50):  # faster than real time: 1 s a step
        conversation.session.hear(minute[start : start + IN_FRAME * 50])
        await asyncio.sleep(0.01)
    await conversation.play(silence(1.0))
    await conversation.until(lambda: bool(conversation.transcripts("assistant")), within=30)
    await conversation.until(lambda: conversation.session.state == "listening")
    rows = await store.history.messages(Platform.WEB, CALLER.chat_id)
    heard = [r for r in rows if r.direction is Direction.IN]
    assert len(heard) == 3  # 28 s, 28 s and the rest
    assert [r.direction for r in rows] == [Direction.IN] * 3 + [Direction.OUT]
    assert all(r.state is not State.RECEIVED for r in heard)  # none waits for an answer
    assert conversation.transcripts("user") == ["what is the weather like today"] * 3
