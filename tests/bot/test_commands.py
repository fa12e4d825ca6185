"""Commands, once for every channel."""

from __future__ import annotations

from collections.abc import Callable

from bot.dispatcher import Dispatcher
from bot.models import IncomingMessage
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel

Make = Callable[..., IncomingMessage]


async def ask(dispatcher: Dispatcher, channel: RecordingChannel, make: Make, text: str) -> str:
    before = len(channel.sent)
    await dispatcher.accept(make(text))
    await dispatcher.idle()
    return "\n".join(s.text for s in channel.sent[before:])


async def test_start_mentions_storage_and_how_to_delete(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    text = await ask(dispatcher, channel, message, "/start")
    assert "stored on this server" in text and "/forget" in text


async def test_mode_changes_the_reply_policy(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    assert "voice notes" in await ask(dispatcher, channel, message, "/mode voice")
    await ask(dispatcher, channel, message, "hello there")
    assert channel.sent[-1].kind == "voice"
    await ask(dispatcher, channel, message, "/mode text")
    await ask(dispatcher, channel, message, "and again")
    assert channel.sent[-1].kind == "text"
    assert "Choose" in await ask(dispatcher, channel, message, "/mode loud")


async def test_voice_lists_picks_and_previews(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    listing = await ask(dispatcher, channel, message, "/voice")
    assert "Alto (en)" in listing and "Bass (de)" in listing
    assert [c.command for c in channel.sent[-1].choices][:2] == ["/voice fake:alto",
                                                                 "/voice fake:bass"]
    picked = await ask(dispatcher, channel, message, "/voice fake:bass")
    assert "Bass" in picked and channel.sent[-1].kind == "voice"
    assert "no voice called" in await ask(dispatcher, channel, message, "/voice nobody")


async def test_speed(dispatcher: Dispatcher, channel: RecordingChannel, message: Make) -> None:
    assert "1.25" in await ask(dispatcher, channel, message, "/speed fast")
    assert "Choose" in await ask(dispatcher, channel, message, "/speed 9")


async def test_history_shows_transcripts_and_export_is_markdown(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    await ask(dispatcher, channel, message, "remember the blue door")
    history = await ask(dispatcher, channel, message, "/history")
    assert "You: remember the blue door" in history
    await ask(dispatcher, channel, message, "/export")
    exported = channel.sent[-1]
    assert exported.kind == "attachment" and exported.attachment is not None
    document = exported.attachment.data.decode()
    assert document.startswith("# omnivox") and "remember the blue door" in document


async def test_new_starts_a_fresh_context(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make, engines  # type: ignore[no-untyped-def]
) -> None:
    await ask(dispatcher, channel, message, "my name is Ada")
    await ask(dispatcher, channel, message, "/new")
    await ask(dispatcher, channel, message, "what is my name")
    last_prompt = engines.chat.seen[-1]
    assert not any("Ada" in turn.text for turn in last_prompt)


async def test_context_carries_earlier_turns_but_not_commands(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make, engines  # type: ignore[no-untyped-def]
) -> None:
    await ask(dispatcher, channel, message, "my name is Ada")
    await ask(dispatcher, channel, message, "/help")
    await ask(dispatcher, channel, message, "what is my name")
    texts = [turn.text for turn in engines.chat.seen[-1]]
    assert any("Ada" in t for t in texts)
    assert not any("/help" in t for t in texts)


async def test_forget_asks_first_then_deletes_everything(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    from bot.models import Platform

    await ask(dispatcher, channel, message, "secret plans")
    warning = await ask(dispatcher, channel, message, "/forget")
    assert "cannot be undone" in warning
    assert channel.sent[-1].choices[0].command == "/forget confirm"
    done = await ask(dispatcher, channel, message, "/forget confirm")
    assert "deleted" in done
    await dispatcher.idle()
    # the request and its answer went too, once the answer was sent
    assert await store.history.messages(Platform.CLI, "chat-1") == []


async def test_unknown_command(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make
) -> None:
    assert "/help" in await ask(dispatcher, channel, message, "/dance")


async def test_voice_lists_many_voices_by_language(
    dispatcher: Dispatcher, channel: RecordingChannel, message: Make, engines  # type: ignore[no-untyped-def]
) -> None:
    from bot.ports.engines import Voice

    many = [Voice(id="neural:one", name="One", language="en_US", engine="piper")] + [
        Voice(id=f"espeak:{code}", name=f"Speaker {code}", language=code, engine="espeak")
        for code in ("de", "fr", "es", "it", "pt", "nl", "sv", "pl", "ru", "tr", "cs", "el")
    ]

    async def voices() -> list[Voice]:
        return many

    engines.synthesizer.voices = voices
    listing = await ask(dispatcher, channel, message, "/voice")
    assert "One (en_US)" in listing and "espeak-ng also speaks 12 languages" in listing
    assert "espeak:fr" not in listing
    german = await ask(dispatcher, channel, message, "/voice de")
    assert "/voice espeak:de" in german and "espeak:fr" not in german


def test_help_and_menus_come_from_one_declaration() -> None:
    from bot.commands import COMMANDS, help_text, menu

    names = [name for name, _ in menu()]
    assert names == [c.name for c in COMMANDS] and names[0] == "start" and "stop" in names
    text = help_text()
    assert text.splitlines()[-1] == "/help – this list"
    assert "/mode auto|text|voice – how I reply (auto: voice for voice)" in text
    assert "/start" not in text  # the greeting is in the menu, not in the list


async def test_a_stop_left_from_before_a_restart_finds_nothing(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    await dispatcher.stop()
    await store.inbox.accept(message("/stop"), in_context=False)
    await dispatcher.start()
    await dispatcher.idle()
    assert channel.sent[-1].text == "There is nothing to stop."


async def test_forget_says_the_history_was_deleted(
    dispatcher: Dispatcher, channel: RecordingChannel, store: SqlStore, message: Make
) -> None:
    from bot.models import Platform, ReplyEvent

    channel.confirmation_hold = 60.0  # a channel that shows the chat from the store
    await ask(dispatcher, channel, message, "/forget confirm")
    [*_, confirmation] = await store.history.messages(Platform.CLI, "chat-1")
    assert confirmation.event is ReplyEvent.HISTORY_DELETED
    await dispatcher.shown(Platform.CLI, "chat-1", confirmation.id)  # it showed it: gone
    assert await store.history.messages(Platform.CLI, "chat-1") == []
