"""Barge-in: the user speaks over the answer; it stops and what was heard is kept."""

from __future__ import annotations

import pytest

from bot.models import Platform
from bot.ports.engines import Engines
from bot.ports.store import Direction
from storage.store import SqlStore
from tests.bot.talk.conftest import CALLER, Conversation, loud
from tests.fakes.engines import FakeChat, FakeDescriber, FakeSynthesizer, FakeTranscriber
from tests.support.talk_peer import silence, speech

pytestmark = pytest.mark.corpus
LONG = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 13))


@pytest.fixture
def engines() -> Engines:
    return Engines(transcriber=FakeTranscriber(LONG), describer=FakeDescriber(),
                   chat=FakeChat(), synthesizer=FakeSynthesizer())  # fmt: skip


async def test_talking_over_the_answer_stops_it_and_stores_what_was_said(
    conversation: Conversation, store: SqlStore
) -> None:
    await conversation.play(speech("de_picovoice_leopard.wav"))
    await conversation.until(lambda: conversation.session.state == "speaking")
    await conversation.play(silence(1.0))  # a little of the answer is heard
    before = len(conversation.out)
    await conversation.play(speech("fr_picovoice_leopard.wav"))  # the user speaks over it
    during = loud(conversation.out[before:])
    # the answer (12 sentences, ~6 s) plays on until the speech starts (~1.1 s in), then
    # stops; the answer to what was said over it comes after the speech ends (5.8 s in)
    shape = "".join("#" if frame else "." for frame in during)  # shown when it fails
    assert sum(during[:50]) >= 40 and not any(during[150:290]), shape
    await conversation.until(lambda: len(conversation.transcripts("user")) == 2)
    rows = await store.history.messages(Platform.WEB, CALLER.chat_id)
    answer = rows[1].text or ""
    assert rows[1].direction is Direction.OUT and answer.endswith("—")
    full = f"You said: {LONG[-300:]}"  # what the model wrote
    assert full.startswith(answer.removesuffix(" —")) and len(answer) < len(full) - 40
    assert conversation.transcripts("assistant")[0] == answer


