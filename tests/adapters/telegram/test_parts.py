"""A long reply is several Telegram messages: a retry after a failed part sends only the rest."""

from __future__ import annotations

from adapters.telegram.adapter import TelegramAdapter
from bot.delivery import Courier
from bot.models import Platform, Reply, VoiceAudio
from bot.ports.store import State
from bot.tasks import TaskSet
from storage.store import SqlStore
from tests.fakes.telegram_server import FakeBotApi
from tests.support.messages import make_message

PARAGRAPH = "word " * 700  # 3,500 characters: two of them make two messages


async def _reply(store: SqlStore, reply: Reply) -> int:
    asked = await store.inbox.accept(
        make_message("question", chat_id="4242", platform=Platform.TELEGRAM, message_id="7"),
        in_context=True,
    )
    assert asked.id is not None
    return await store.outbox.add_reply(asked.id, reply, in_context=True)


async def test_a_long_text_resent_sends_only_its_missing_part(
    adapter: TelegramAdapter, api: FakeBotApi, store: SqlStore
) -> None:
    courier = Courier(store.outbox, store.parts, {Platform.TELEGRAM: adapter}, TaskSet())
    text = f"{PARAGRAPH.strip()}\n\nsecond half {PARAGRAPH.strip()}"
    reply_id = await _reply(store, Reply(text=text))
    api.fail("sendMessage", 500, skip=1)  # the first part goes, the second fails
    await courier.deliver(reply_id)
    assert len(api.calls_of("sendMessage")) == 2
    await courier.deliver(reply_id)  # the retry
    sent = [c.params["text"] for c in api.calls_of("sendMessage")]
    assert len(sent) == 3 and sent[1] == sent[2] and sent[2].startswith("second half")
    row = await store.inbox.get(reply_id)
    assert row is not None and row.state is State.DELIVERED


async def test_a_voice_note_sent_is_not_sent_again_with_its_text(
    adapter: TelegramAdapter, api: FakeBotApi, store: SqlStore
) -> None:
    courier = Courier(store.outbox, store.parts, {Platform.TELEGRAM: adapter}, TaskSet())
    voice = VoiceAudio(data=b"OggS" + b"\0" * 100, duration=1.0)
    reply_id = await _reply(store, Reply(text=PARAGRAPH, voice=voice))  # too long a caption
    api.fail("sendMessage", 500)
    await courier.deliver(reply_id)
    await courier.deliver(reply_id)
    assert len(api.calls_of("sendVoice")) == 1 and len(api.calls_of("sendMessage")) == 2
