"""Progress on WhatsApp: messages cannot be edited, so one status text, quoting the note."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.whatsapp.adapter import WhatsAppAdapter
from adapters.whatsapp.graph import RetryPolicy
from tests.fakes.graph_server import FakeGraph
from tests.fakes.sink import RecordingSink
from tests.support.settings import wa_settings, whatsapp_adapter
from tests.support.whatsapp_bodies import USER


@pytest.fixture
async def adapter(graph: FakeGraph, sink: RecordingSink) -> AsyncIterator[WhatsAppAdapter]:
    wa = whatsapp_adapter(wa_settings(graph), sink,
                          retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02))
    await wa.start()
    yield wa
    await wa.stop()


async def test_one_status_text_says_the_transcription_started(
    adapter: WhatsAppAdapter, graph: FakeGraph
) -> None:
    line = adapter.open_progress(USER, "wamid.IN1")
    await line.update("transcribing… 0 % of 12:30", 0.0)
    await line.update("transcribing… 40 % of 12:30", 0.4)
    await line.close()
    (text,) = graph.texts_to(USER)
    assert "12:30 recording" in text and "transcribing" in text
    (sent,) = graph.sent
    assert sent["context"]["message_id"] == "wamid.IN1"
