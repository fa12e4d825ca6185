"""A talk session end to end on recorded speech: heard, answered aloud sentence by
sentence, talked over, stored like a voice note and its reply (no audio)."""

from __future__ import annotations

import pytest

from bot.models import ContentKind, Platform
from bot.ports.engines import Engines
from bot.ports.store import Direction, State
from storage.store import SqlStore
from tests.bot.talk.conftest import CALLER, Conversation, loud
from tests.fakes.engines import FakeChat, FakeSynthesizer, FakeTranscriber
from tests.support.talk_peer import silence, speech

pytestmark = pytest.mark.corpus


async def test_a_turn_is_heard_answered_aloud_and_stored(
    conversation: Conversation, store: SqlStore, engines: Engines
) -> None:
    await conversation.play(silence(0.5))
    await conversation.play(speech("de_picovoice_leopard.wav"))
    await conversation.until(lambda: bool(conversation.transcripts("assistant")))
    await conversation.until(lambda: conversation.session.state == "listening")
    assert conversation.transcripts("user") == ["what is the weather like today"]
    assert conversation.transcripts("assistant") == ["You said: what is the weather like today"]
    assert conversation.states()[:4] == ["listening", "thinking", "speaking", "listening"]
    assert any(loud(conversation.out))  # the answer was played
    rows = await store.history.messages(Platform.WEB, CALLER.chat_id)
    assert [(r.direction, r.kind) for r in rows] == [
        (Direction.IN, ContentKind.VOICE), (Direction.OUT, ContentKind.TEXT)]
    assert rows[0].transcript == "what is the weather like today"
    assert rows[1].text == "You said: what is the weather like today"
    assert rows[1].answer_to == rows[0].id
    assert rows[1].state is State.DELIVERED
    assert not rows[0].has_voice and not rows[1].has_voice  # no audio kept
    assert isinstance(engines.synthesizer, FakeSynthesizer)
    assert [text for text, _ in engines.synthesizer.spoken] == [rows[1].text]
    assert isinstance(engines.transcriber, FakeTranscriber)
    assert engines.transcriber.calls == 1  # heard once, while the end-of-turn silence ran


async def test_the_next_turn_has_the_conversation_so_far(
    conversation: Conversation, engines: Engines
) -> None:
    for _ in range(2):
        await conversation.play(speech("fr_picovoice_leopard.wav"))
        count = len(conversation.transcripts("assistant"))
        await conversation.until(lambda c=count: len(conversation.transcripts("assistant")) > c)
    assert isinstance(engines.chat, FakeChat)
    last = engines.chat.seen[-1]
    assert [t.role for t in last] == ["system", "user", "assistant", "user"]
