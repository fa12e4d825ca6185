"""The user's language end to end, on fake engines: heard, pinned, answered in, spoken in."""

from __future__ import annotations

from collections.abc import Callable

from bot.dispatcher import Dispatcher
from bot.models import ContentKind, IncomingMessage, MediaRef
from bot.pipeline import addresses
from bot.ports.engines import AudioClip, Engines, Transcript
from bot.ports.store import State
from storage.store import SqlStore
from tests.fakes.channel import RecordingChannel
from tests.fakes.engines import FakeChat, FakeSynthesizer, FakeTranscriber
from tests.support.media import voice_note

Make = Callable[..., IncomingMessage]


class Bilingual(FakeTranscriber):
    """Speaks `spoken`; told another language it hears it badly (as Whisper does)."""

    languages = None

    def __init__(self, spoken: str) -> None:
        super().__init__("bonjour tout le monde", spoken)

    async def transcribe(self, audio: AudioClip, *, language: str | None = None) -> Transcript:
        self.languages_asked.append(language)
        right = language in (None, self.language)
        return Transcript(text=self.text, language=language or self.language,
                          duration=audio.duration, confidence=0.9 if right else 0.2,
                          no_speech_prob=0.01, avg_logprob=-0.2 if right else -1.1,
                          language_probability=1.0 if language else 0.97)  # fmt: skip


def voice(channel: RecordingChannel, make: Make, **extra: object) -> IncomingMessage:
    key = f"v{len(channel.files)}"
    channel.files[key] = voice_note(1.5)
    return make(None, kind=ContentKind.VOICE, media=MediaRef(file_id=key), **extra)


async def test_the_language_heard_is_pinned_and_used_for_the_next_note(
    dispatcher: Dispatcher, engines: Engines, channel: RecordingChannel, store: SqlStore,
    message: Make,
) -> None:  # fmt: skip
    engines.transcriber = Bilingual("fr")
    await dispatcher.accept(voice(channel, message))
    await dispatcher.idle()
    assert (await store.users.settings(channel.platform, "chat-1")).language == "auto:fr"
    await dispatcher.accept(voice(channel, message))
    await dispatcher.idle()
    assert engines.transcriber.languages_asked == [None, "fr"]  # detected once, then pinned
    chat = engines.chat
    assert isinstance(chat, FakeChat)
    assert "write your whole answer in French" in chat.seen[-1][0].text


async def test_a_switch_is_heard_when_the_pinned_language_fits_badly(
    dispatcher: Dispatcher, engines: Engines, channel: RecordingChannel, store: SqlStore,
    message: Make,
) -> None:  # fmt: skip
    await store.users.update(channel.platform, "chat-1", language="auto:en")
    engines.transcriber = Bilingual("de")
    await dispatcher.accept(voice(channel, message))
    await dispatcher.idle()
    assert engines.transcriber.languages_asked == ["en", None]
    assert (await store.users.settings(channel.platform, "chat-1")).language == "auto:de"
    synthesizer = engines.synthesizer
    assert isinstance(synthesizer, FakeSynthesizer)
    assert {v for _, v in synthesizer.spoken} == {"fake:bass"}  # the German voice


async def test_a_language_chosen_with_the_command_is_kept(
    dispatcher: Dispatcher, engines: Engines, channel: RecordingChannel, store: SqlStore,
    message: Make,
) -> None:  # fmt: skip
    await dispatcher.accept(message("/language de"))
    await dispatcher.idle()
    assert "only hears en" in channel.sent[-1].text  # the fake English-only model
    engines.transcriber = Bilingual("fr")
    await dispatcher.accept(message("/language de"))
    await dispatcher.idle()
    assert "answer in German" in channel.sent[-1].text
    await dispatcher.accept(voice(channel, message))
    await dispatcher.idle()
    assert engines.transcriber.languages_asked == ["de"]  # firm: no second guess
    assert (await store.users.settings(channel.platform, "chat-1")).language == "de"
    await dispatcher.accept(message("/language auto"))
    await dispatcher.idle()
    assert (await store.users.settings(channel.platform, "chat-1")).language is None
    await dispatcher.accept(message("/language klingon"))
    await dispatcher.idle()
    assert "not a language code" in channel.sent[-1].text


async def test_text_is_answered_in_the_language_it_is_written_in(
    dispatcher: Dispatcher, engines: Engines, message: Make
) -> None:
    await dispatcher.accept(message("Quelle est la capitale de la France, s'il te plaît ?"))
    await dispatcher.idle()
    chat = engines.chat
    assert isinstance(chat, FakeChat)
    assert "write your whole answer in French" in chat.seen[-1][0].text


async def test_a_language_no_voice_speaks_gets_text_and_a_line_saying_why(
    dispatcher: Dispatcher, engines: Engines, channel: RecordingChannel, message: Make
) -> None:
    engines.transcriber = Bilingual("ko")
    await dispatcher.accept(voice(channel, message))
    await dispatcher.idle()
    (sent,) = channel.sent
    assert sent.kind == "text" and "No voice here speaks Korean" in sent.text


async def test_a_voice_reply_is_spoken_sentence_by_sentence(
    dispatcher: Dispatcher, engines: Engines, channel: RecordingChannel, message: Make
) -> None:
    engines.transcriber = FakeTranscriber("One. Two is here. And three.")
    await dispatcher.accept(voice(channel, message))
    await dispatcher.idle()
    (sent,) = channel.sent
    assert sent.kind == "voice" and sent.voice is not None and sent.voice.data[:4] == b"OggS"
    synthesizer = engines.synthesizer
    assert isinstance(synthesizer, FakeSynthesizer)
    assert [t for t, _ in synthesizer.spoken] == ["You said: One.", "Two is here.", "And three."]


def test_being_called_by_name() -> None:
    assert addresses("Hey omnivox, what time is it?", "omnivox")
    assert addresses("Omni Vox, play something", "omnivox")
    assert not addresses("the omnibus is late", "omnivox")


async def test_a_group_voice_note_is_answered_only_when_it_names_the_bot(
    dispatcher: Dispatcher, engines: Engines, channel: RecordingChannel, store: SqlStore,
    message: Make,
) -> None:  # fmt: skip
    engines.transcriber = FakeTranscriber("see you at lunch")
    ignored = await dispatcher.accept(voice(channel, message, is_group=True, addressed=False))
    await dispatcher.idle()
    assert channel.sent == []
    assert ignored.id is not None
    kept = await store.inbox.get(ignored.id)
    assert kept is not None and kept.state is State.FAILED and kept.transcript is None
    engines.transcriber = FakeTranscriber("Omnivox, what is the capital of Peru?")
    await dispatcher.accept(voice(channel, message, is_group=True, addressed=False))
    await dispatcher.idle()
    (sent,) = channel.sent
    assert "capital of Peru" in sent.text


async def test_a_group_voice_note_never_gets_a_refusal(
    store: SqlStore, engines: Engines, channel: RecordingChannel, message: Make, db_url: str,
    tmp_path: object,
) -> None:  # fmt: skip
    from tests.support.settings import make_dispatcher, make_settings

    settings = make_settings(database_url=db_url, allowed_users="cli:someone-else",
                             warm_engines=False)  # fmt: skip
    dispatcher = make_dispatcher(store, engines, settings)
    dispatcher.add_adapter(channel)
    await dispatcher.start()
    try:
        refused = await dispatcher.accept(voice(channel, message, is_group=True, addressed=False))
        await dispatcher.idle()
        assert refused.refused and channel.sent == []
    finally:
        await dispatcher.stop()
