"""A new user's first reply carries the first-contact notice, once, on any channel."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.models import IncomingMessage
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import fake_engines
from tests.support.messages import make_message
from tests.support.settings import changed, make_dispatcher

Make = Callable[..., IncomingMessage]
NOTICE = "An AI assistant; this chat is stored here (/history, /export, /forget)."


async def _conversation(
    store: SqlStore, settings: Settings, texts: list[tuple[str, str]], notice: str = NOTICE
) -> list[str]:
    channel = RecordingChannel()
    quiet = changed(settings, first_contact_notice=notice, new_message_interrupts=False)
    dispatcher = make_dispatcher(store, fake_engines(), quiet)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    for user, text in texts:
        await dispatcher.accept(make_message(text, chat_id=user))
        await dispatcher.idle()
    await dispatcher.stop()
    return [s.text for s in channel.sent]


async def test_the_first_reply_carries_the_notice_once(
    store: SqlStore, settings: Settings
) -> None:
    sent = await _conversation(store, settings, [("ada", "hi"), ("ada", "again"), ("bob", "hey")])
    assert sent == [f"You said: hi\n\n{NOTICE}", "You said: again", f"You said: hey\n\n{NOTICE}"]


async def test_start_says_it_in_its_own_words_and_not_twice(
    store: SqlStore, settings: Settings
) -> None:
    sent = await _conversation(store, settings, [("ada", "/start"), ("ada", "hi")])
    assert sent[0].count(NOTICE) == 1 and sent[0].startswith("Hi! I am omnivox")
    assert sent[1] == "You said: hi"


async def test_no_notice_when_it_is_set_empty(store: SqlStore, settings: Settings) -> None:
    sent = await _conversation(store, settings, [("ada", "hi")], notice="")
    assert sent == ["You said: hi"]


async def test_after_forget_the_user_is_new_again(store: SqlStore, settings: Settings) -> None:
    sent = await _conversation(
        store, settings, [("ada", "hi"), ("ada", "/forget confirm"), ("ada", "hello")]
    )
    assert sent[0].endswith(NOTICE) and sent[2] == f"You said: hello\n\n{NOTICE}"
