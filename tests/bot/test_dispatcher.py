"""The durable dispatcher: order, parallelism, redelivery, resume, interrupts, delivery faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.errors import DeliveryError
from bot.models import ContentKind, IncomingMessage, MediaRef
from bot.ports.store import State
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import FakeChat, fake_engines
from tests.support.fixtures import both_backends
from tests.support.media import tone_ogg
from tests.support.settings import changed, make_dispatcher

Make = Callable[..., IncomingMessage]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The dispatcher's suite runs on both stores."""
    return both_backends(request, tmp_path)


async def test_text_is_answered_and_marked_delivered(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    accepted = await dispatcher.accept(message("what time is it"))
    await dispatcher.idle()
    assert [s.text.strip() for s in channel.sent] == ["You said: what time is it"]
    assert channel.sent[0].kind == "text"
    assert accepted.id is not None
    stored = await store.inbox.get(accepted.id)
    assert stored is not None and stored.state is State.DELIVERED


async def test_redelivery_is_a_noop(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    first = message("once", message_id="same")
    again = await dispatcher.accept(first)
    twice = await dispatcher.accept(first)
    await dispatcher.idle()
    assert twice.duplicate and twice.id == again.id
    assert len(channel.sent) == 1


async def test_redelivery_after_restart_is_a_noop(
    settings: Settings, store: SqlStore, message: Make
) -> None:
    channel = RecordingChannel()
    first = make_dispatcher(store, fake_engines(), settings)
    first.add_adapter(channel)
    await first.start()
    await first.accept(message("hi", message_id="wamid.1"))
    await first.idle()
    await first.stop()
    second_store = SqlStore.from_url(settings.storage.database_url)
    second = make_dispatcher(second_store, fake_engines(), settings)
    second.add_adapter(channel)
    await second.start()
    result = await second.accept(message("hi", message_id="wamid.1"))
    await second.idle()
    await second.stop()
    await second_store.close()
    assert result.duplicate
    assert len(channel.sent) == 1


async def test_a_chat_is_answered_in_order(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    quiet = changed(settings, new_message_interrupts=False)
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(chat_delay=0.02), quiet)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    for n in range(5):
        await dispatcher.accept(message(f"number {n}", chat_id="ordered"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert [s.text.strip() for s in channel.sent] == [f"You said: number {n}" for n in range(5)]


async def test_chats_run_in_parallel_up_to_the_bound(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    bounded = changed(settings, max_concurrent_chats=2)
    engines = fake_engines()
    active = 0
    peak = 0

    class CountingChat(FakeChat):
        async def stream(self, turns, *, max_tokens):  # type: ignore[no-untyped-def]
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.05)
            active -= 1
            async for piece in super().stream(turns, max_tokens=max_tokens):
                yield piece

    engines.chat = CountingChat()
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, engines, bounded)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    for n in range(6):
        await dispatcher.accept(message("hi", chat_id=f"chat-{n}"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert len(channel.sent) == 6
    assert peak == 2


async def test_unanswered_messages_are_answered_after_a_restart(
    settings: Settings, store: SqlStore, message: Make
) -> None:
    accepted = await store.inbox.accept(message("left behind"), in_context=True)
    assert accepted.id is not None
    await store.inbox.set_state(accepted.id, State.WORKING)  # the process died mid-answer
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(), settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    await dispatcher.idle()
    await dispatcher.stop()
    assert [s.text.strip() for s in channel.sent] == ["You said: left behind"]


async def test_answered_but_undelivered_replies_are_delivered_once(
    settings: Settings, store: SqlStore, message: Make
) -> None:
    from bot.models import Reply

    accepted = await store.inbox.accept(message("question"), in_context=True)
    assert accepted.id is not None
    await store.outbox.add_reply(accepted.id, Reply(text="stored answer"), in_context=True)
    for _ in range(2):  # two restarts: the reply goes out once
        channel = RecordingChannel()
        dispatcher = make_dispatcher(store, fake_engines(), settings)
        dispatcher.add_adapter(channel)
        await dispatcher.start()
        await dispatcher.idle()
        await dispatcher.stop()
        if _ == 0:
            assert [s.text for s in channel.sent] == ["stored answer"]
        else:
            assert channel.sent == []


async def test_a_new_message_interrupts_the_generation_in_progress(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(chat_delay=1.0), settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    slow = await dispatcher.accept(message("first thought"))
    await asyncio.sleep(0.2)
    await dispatcher.accept(message("actually, this"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert len(channel.sent) == 1  # one answer, to both turns
    assert channel.sent[0].text.strip().endswith("actually, this")
    assert slow.id is not None
    first = await store.inbox.get(slow.id)
    assert first is not None and first.state is State.FAILED
    assert "interrupted" in (first.error or "")


async def test_stop_cancels_the_generation(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(chat_delay=1.0), settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    slow = await dispatcher.accept(message("tell me a long story"))
    await asyncio.sleep(0.2)
    await dispatcher.accept(message("/stop"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert [s.text for s in channel.sent] == ["Stopped."]
    assert slow.id is not None
    stopped = await store.inbox.get(slow.id)
    assert stopped is not None and stopped.state is State.FAILED
    assert "stopped" in (stopped.error or "")


async def test_stop_with_nothing_running_says_so(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    await dispatcher.accept(message("/stop"))
    await dispatcher.idle()
    assert [s.text for s in channel.sent] == ["There is nothing to stop."]


async def test_permanent_delivery_failure_is_recorded_and_not_retried(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    channel.failures.append(DeliveryError("bot was blocked by the user", permanent=True))
    accepted = await dispatcher.accept(message("hello"))
    await dispatcher.idle()
    await asyncio.sleep(2.5)  # one retry sweep
    await dispatcher.idle()
    assert channel.sent == []
    assert accepted.id is not None
    stored = await store.inbox.get(accepted.id)
    assert stored is not None and stored.state is State.FAILED
    assert stored.error == "bot was blocked by the user"


async def test_transient_delivery_failure_is_retried(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    channel.failures.append(DeliveryError("HTTP 500", retry_after=0.1))
    await dispatcher.accept(message("hello"))
    sent = await channel.wait_for(1, within=10)
    assert [s.text.strip() for s in sent] == ["You said: hello"]


async def test_users_not_on_the_list_get_one_refusal(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    private = changed(settings, allowed_users="cli:friend")
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(), private)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    first = await dispatcher.accept(message("hi", chat_id="stranger"))
    await dispatcher.accept(message("hello?", chat_id="stranger"))
    await dispatcher.accept(message("hi", chat_id="friend"))
    await dispatcher.idle()
    await dispatcher.stop()
    assert first.refused and first.id is None
    texts = [s.text for s in channel.sent]
    assert sum("private" in t for t in texts) == 1
    assert any("You said: hi" in t for t in texts)


async def test_rate_limit_answers_clearly_once(
    store: SqlStore, settings: Settings, message: Make
) -> None:
    limited = changed(settings, rate_limit_per_minute=2, new_message_interrupts=False)
    channel = RecordingChannel()
    dispatcher = make_dispatcher(store, fake_engines(), limited)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    results = [await dispatcher.accept(message(f"m{n}")) for n in range(5)]
    await dispatcher.idle()
    await dispatcher.stop()
    assert [r.refused for r in results] == [False, False, True, True, True]
    warnings = [s.text for s in channel.sent if "limit is 2 a minute" in s.text]
    assert len(warnings) == 1


async def test_voice_note_gets_a_voice_note_with_its_text(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    channel.files["v1"] = tone_ogg()
    accepted = await dispatcher.accept(
        message(None, kind=ContentKind.VOICE, media=MediaRef(file_id="v1", mime_type="audio/ogg"))
    )
    await dispatcher.idle()
    assert len(channel.sent) == 1
    sent = channel.sent[0]
    assert sent.kind == "voice" and sent.voice is not None
    assert sent.voice.data[:4] == b"OggS"
    assert "what is the weather like today" in sent.text
    assert accepted.id is not None
    stored = await store.inbox.get(accepted.id)
    assert stored is not None and stored.transcript == "what is the weather like today"
    assert stored.language == "en"


async def test_an_engine_failure_gets_a_clear_reply_and_the_process_keeps_serving(
    dispatcher: Dispatcher, channel: RecordingChannel, engines, message: Make  # type: ignore[no-untyped-def]
) -> None:
    from bot.errors import EngineError

    class BrokenChat(FakeChat):
        async def stream(self, turns, *, max_tokens):  # type: ignore[no-untyped-def]
            raise EngineError("model crashed")
            yield ""

    engines.chat = BrokenChat()
    await dispatcher.accept(message("hello"))
    await dispatcher.idle()
    engines.chat = FakeChat()
    await dispatcher.accept(message("again"))
    await dispatcher.idle()
    texts = [s.text for s in channel.sent]
    assert "went wrong" in texts[0]
    assert texts[1].strip().endswith("again")


async def test_media_is_released_once_the_answer_is_stored(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    channel.files["v2"] = tone_ogg()
    voice = MediaRef(file_id="v2", mime_type="audio/ogg")
    accepted = await dispatcher.accept(message(None, kind=ContentKind.VOICE, media=voice))
    await dispatcher.accept(message("and a text"))
    await dispatcher.idle()
    assert channel.released == [voice]
    assert accepted.id is not None
    stored = await store.inbox.get(accepted.id)
    assert stored is not None and stored.state is State.DELIVERED


async def test_media_that_cannot_be_read_is_released_too(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    channel.files["broken"] = b"not audio"
    broken = MediaRef(file_id="broken", mime_type="audio/ogg")
    await dispatcher.accept(message(None, kind=ContentKind.VOICE, media=broken))
    await dispatcher.idle()
    assert "could not read that audio" in channel.sent[0].text
    assert channel.released == [broken]


async def test_media_is_kept_when_the_settings_say_so(
    store: SqlStore, settings: Settings, channel: RecordingChannel, message: Make
) -> None:
    dispatcher = make_dispatcher(store, fake_engines(), changed(settings, keep_audio=True))
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    channel.files["v3"] = tone_ogg()
    await dispatcher.accept(
        message(None, kind=ContentKind.VOICE, media=MediaRef(file_id="v3", mime_type="audio/ogg"))
    )
    await dispatcher.idle()
    await dispatcher.stop()
    assert channel.sent[0].kind == "voice" and channel.released == []


async def test_the_model_sees_the_transcript_it_was_given(
    dispatcher: Dispatcher, channel: RecordingChannel, engines, message: Make  # type: ignore[no-untyped-def]
) -> None:
    channel.files["v4"] = tone_ogg()
    await dispatcher.accept(
        message(None, kind=ContentKind.VOICE, media=MediaRef(file_id="v4", mime_type="audio/ogg"))
    )
    await dispatcher.idle()
    [turns] = engines.chat.seen
    assert turns[-1].role == "user" and turns[-1].text == "what is the weather like today"
