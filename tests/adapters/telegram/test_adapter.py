"""The adapter's I/O against the fake Bot API: sending, formatting, faults, downloads, buttons."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.download import Downloader
from adapters.telegram.errors import delivering, to_delivery_error
from adapters.telegram.format import to_html
from adapters.telegram.voice_out import VOICE_FORBIDDEN_NOTE
from bot.errors import DeliveryError, MediaTooLarge, UnreadableMedia
from bot.models import Activity, Attachment, Choice, MediaRef, Platform, VoiceAudio
from tests.fakes.sink import RecordingSink
from tests.fakes.telegram_server import FakeBotApi
from tests.support.settings import telegram_adapter, telegram_settings
from tests.support.telegram_payloads import load

OGG = b"OggS" + bytes(200)


async def test_start_registers_commands_and_polls(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    commands = api.calls_of("setMyCommands")[0].params["commands"]
    assert {"command": "voice", "description": "Pick my voice"} in commands
    assert api.calls_of("deleteWebhook")
    await api.wait_for("getUpdates")
    assert adapter.identity.username == "omnivox_test_bot"


async def test_update_is_confirmed_only_after_accept(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    sink.gate = asyncio.Event()
    pushed = api.push(load("text", text="hello"))
    await asyncio.sleep(0.3)
    assert api.confirmed_offset <= pushed["update_id"] and not sink.accepted
    sink.gate.set()
    await api.wait_confirmed(pushed["update_id"])
    assert [m.text for m in sink.accepted] == ["hello"]


async def test_failed_accept_is_fetched_again(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    sink.failures = 1
    pushed = api.push(load("text", text="hello"))
    await api.wait_confirmed(pushed["update_id"], within=10)
    assert [m.text for m in sink.accepted] == ["hello"]


async def test_group_chatter_is_confirmed_but_not_stored(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    pushed = api.push(load("group_chatter", text="lunch?"))
    await api.wait_confirmed(pushed["update_id"])
    assert sink.accepted == []


async def test_send_text_renders_html_and_quotes(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    ids = await adapter.send_text("4242", "**Hi** <there> & bye", reply_to_id="11")
    call = api.calls_of("sendMessage")[-1]
    assert api.messages[("4242", int(ids[0]))] == "Hi <there> & bye"
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"] == "<b>Hi</b> &lt;there&gt; &amp; bye"
    assert call.params["reply_parameters"] == {
        "message_id": 11,
        "allow_sending_without_reply": True,
    }


async def test_button_ids_are_not_quoted(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    await adapter.send_text("4242", "ok", reply_to_id="cb:77001")
    assert "reply_parameters" not in api.calls_of("sendMessage")[-1].params


async def test_formatting_error_resends_plain(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    api.fail("sendMessage", 400, "Bad Request: can't parse entities: Can't find end tag")
    ids = await adapter.send_text("4242", "**x** y")
    first, second = api.calls_of("sendMessage")[-2:]
    assert first.params["parse_mode"] == "HTML"
    assert "parse_mode" not in second.params and second.params["text"] == "**x** y"
    assert len(ids) == 1


async def test_long_text_is_split(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "Words go here. " * 60 for i in range(12))
    ids = await adapter.send_text("4242", text, reply_to_id="11", feedback_for=9)
    calls = api.calls_of("sendMessage")
    assert len(ids) == len(calls) == 3
    assert "reply_parameters" in calls[0].params and "reply_parameters" not in calls[1].params
    assert "reply_markup" not in calls[0].params
    buttons = calls[-1].params["reply_markup"]["inline_keyboard"][-1]
    assert [b["callback_data"] for b in buttons] == ["fb:+1:9", "fb:-1:9"]
    shown = "".join(api.messages[("4242", int(i))] for i in ids)
    assert "".join(shown.split()) == "".join(text.split())


async def test_choices_become_an_inline_keyboard(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    choices = [Choice(label="Alto", command="/voice fake:alto"),
               Choice(label="Bass", command="/voice fake:bass"),
               Choice(label="Too long", command="/voice " + "x" * 80)]  # fmt: skip
    await adapter.send_text("4242", "Pick a voice", choices=choices)
    rows = api.calls_of("sendMessage")[-1].params["reply_markup"]["inline_keyboard"]
    assert rows == [[{"text": "Alto", "callback_data": "/voice fake:alto"},
                     {"text": "Bass", "callback_data": "/voice fake:bass"}]]  # fmt: skip


async def test_blocked_bot_is_a_permanent_failure(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    api.fail("sendMessage", 403)
    with pytest.raises(DeliveryError) as failure:
        await adapter.send_text("4242", "hello")
    assert failure.value.permanent and "blocked" in failure.value.reason
    assert len(api.calls_of("sendMessage")) == 1


async def test_flood_control_without_limiter_reports_retry_after(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    api.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(DeliveryError) as failure:
        await adapter.send_text("4242", "hello")
    assert failure.value.retry_after == 7 and not failure.value.permanent


async def test_flood_control_with_limiter_waits_and_delivers(
    api: FakeBotApi, sink: RecordingSink, tmp_path: Path
) -> None:
    telegram = telegram_adapter(telegram_settings(api, tmp_path, telegram_rate_limiter=True), sink)
    await telegram.start()
    try:
        api.fail("sendMessage", 429, retry_after=1)
        began = time.monotonic()
        ids = await telegram.send_text("4242", "hello")
        assert time.monotonic() - began >= 1.0
        assert len(ids) == 1 and len(api.calls_of("sendMessage")) == 2
    finally:
        await telegram.stop()


async def test_server_error_is_transient(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    api.fail("sendMessage", 500)
    with pytest.raises(DeliveryError) as failure:
        await adapter.send_text("4242", "hello")
    assert not failure.value.permanent and failure.value.retry_after is None


@pytest.mark.parametrize(
    ("error", "permanent", "retry_after"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), True, None),
        (BadRequest("Bad Request: chat not found"), True, None),
        (ChatMigrated(-100123), True, None),
        (RetryAfter(12), False, 12.0),
        (TimedOut(), False, None),
        (NetworkError("Bad Gateway"), False, None),
    ],
)
def test_error_mapping(error: Exception, permanent: bool, retry_after: float | None) -> None:
    mapped = to_delivery_error(error)  # type: ignore[arg-type]
    assert (mapped.permanent, mapped.retry_after) == (permanent, retry_after)


async def test_slow_server_is_a_transient_failure(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    api.fail("sendChatAction", 0, delay=2.0)
    with pytest.raises(DeliveryError) as failure:
        async with delivering():
            await adapter.bot.send_chat_action("4242", "typing", read_timeout=0.3)
    assert not failure.value.permanent and isinstance(failure.value.__cause__, TimedOut)


async def test_voice_with_caption(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    voice = VoiceAudio(data=OGG, duration=2.4)
    ids = await adapter.send_voice("4242", voice, text="It is **sunny**.", reply_to_id="11",
                                   feedback_for=3)  # fmt: skip
    call = api.calls_of("sendVoice")[-1]
    assert call.files["voice"] == OGG
    assert call.params["duration"] == 3
    assert call.params["caption"] == "It is <b>sunny</b>." and call.params["parse_mode"] == "HTML"
    assert call.params["reply_parameters"]["message_id"] == 11
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "fb:+1:3"
    assert len(ids) == 1 and not api.calls_of("sendMessage")


async def test_voice_with_long_text_follows_with_a_message(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    text = "A sentence of the answer. " * 60
    ids = await adapter.send_voice("4242", VoiceAudio(data=OGG, duration=20), text=text)
    assert "caption" not in api.calls_of("sendVoice")[-1].params
    assert len(ids) == 2 and api.calls_of("sendMessage")[-1].params["text"] == text.strip()


async def test_voice_messages_forbidden_sends_an_audio_file(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    api.fail("sendVoice", 400, "Bad Request: VOICE_MESSAGES_FORBIDDEN")
    ids = await adapter.send_voice("4242", VoiceAudio(data=OGG, duration=1), text="Hi!",
                                   reply_to_id="11")  # fmt: skip
    document = api.calls_of("sendDocument")[-1]
    assert document.files["document"] == OGG and document.params["caption"] == VOICE_FORBIDDEN_NOTE
    assert api.calls_of("sendMessage")[-1].params["text"] == "Hi!"
    assert len(ids) == 2


async def test_attachment_goes_as_document(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    attachment = Attachment(file_name="history.md", data=b"# chat\n", mime_type="text/markdown")
    await adapter.send_attachment("4242", attachment, reply_to_id="11")
    assert api.calls_of("sendDocument")[-1].files["document"] == b"# chat\n"


@pytest.mark.parametrize("activity", list(Activity))
async def test_activity(adapter: TelegramAdapter, api: FakeBotApi, activity: Activity) -> None:
    await adapter.show_activity("4242", activity)
    shown = {Activity.TYPING: "typing", Activity.RECORDING: "record_voice"}[activity]
    assert api.calls_of("sendChatAction")[-1].params == {"chat_id": 4242, "action": shown}


async def test_download(adapter: TelegramAdapter, api: FakeBotApi) -> None:
    api.add_file("F1", b"voice bytes")
    assert await adapter.download(MediaRef(file_id="F1", size=11)) == b"voice bytes"


@pytest.mark.parametrize(
    ("setup", "media", "error", "calls"),
    [
        ("none", MediaRef(file_id="BIG", size=21 * 1024 * 1024), MediaTooLarge, 0),
        ("claimed", MediaRef(file_id="BIG"), MediaTooLarge, 1),
        ("none", MediaRef(file_id="HUGE", size=25 * 1024 * 1024), MediaTooLarge, 0),
        ("cloud-limit", MediaRef(file_id="HUGE"), MediaTooLarge, 1),
        ("none", MediaRef(file_id="NOPE"), UnreadableMedia, 1),
        ("empty", MediaRef(file_id="EMPTY"), UnreadableMedia, 1),
        ("server-error", MediaRef(file_id="F1"), UnreadableMedia, 3),
    ],
)
async def test_download_failures(
    adapter: TelegramAdapter, api: FakeBotApi, setup: str, media: MediaRef,
    error: type[Exception], calls: int,
) -> None:  # fmt: skip
    api.add_file("F1", b"data")
    api.add_file("EMPTY", b"")
    api.add_file("BIG", b"x", claimed_size=19 * 1024 * 1024)
    adapter.downloader = Downloader(adapter.bot, 20 if setup != "claimed" else 5)
    api.add_file("HUGE", b"x", claimed_size=25 * 1024 * 1024)
    if setup == "server-error":
        api.fail("getFile", 500, times=3)
    with pytest.raises(error) as failure:
        await adapter.download(media)
    assert len(api.calls_of("getFile")) == calls
    if error is MediaTooLarge:
        limit = "5 MB" if setup == "claimed" else "20 MB"
        assert limit in failure.value.user_message  # type: ignore[attr-defined]


async def test_feedback_button(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    api.push(load("callback_feedback", data="fb:-1:3"))
    answered = await api.wait_for("answerCallbackQuery")
    assert sink.feedback == [(Platform.TELEGRAM, "4242", "5001", -1)]
    assert answered[0].params == {"callback_query_id": "77001", "text": "Thanks for the feedback!"}


async def test_command_button(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    api.push(load("callback_command", data="/voice fake:bass"))
    answered = await api.wait_for("answerCallbackQuery")
    assert [m.text for m in sink.accepted] == ["/voice fake:bass"]
    assert answered[0].params == {"callback_query_id": "77001"}


async def test_unknown_button_is_still_answered(
    adapter: TelegramAdapter, api: FakeBotApi, sink: RecordingSink
) -> None:
    api.push(load("callback_unknown", data="stale-data"))
    await api.wait_for("answerCallbackQuery")
    assert not sink.accepted and not sink.feedback


def test_html_escaping_is_what_the_fake_sees() -> None:
    assert to_html("1 < 2") == "1 &lt; 2"


@pytest.mark.parametrize("limiter", [False, True], ids=["no limiter", "rate limiter"])
async def test_a_send_that_timed_out_is_not_sent_again_underneath(
    api: FakeBotApi, sink: RecordingSink, tmp_path: Path, limiter: bool
) -> None:
    """Telegram took it but its answer came too late: neither PTB, aiohttp nor the flood
    limiter sends it again (only a 429, which Telegram did not take, is retried)."""
    settings = telegram_settings(
        api, tmp_path, telegram_rate_limiter=limiter, telegram_request_timeout=0.3
    )
    telegram = telegram_adapter(settings, sink)
    await telegram.start()
    try:
        api.fail("sendMessage", 0, delay=1.0, taken=True)
        with pytest.raises(DeliveryError) as failure:
            await telegram.send_text("4242", "hello")
        assert not failure.value.permanent  # the outbox decides about trying again
        assert isinstance(failure.value.__cause__, TimedOut)
        await asyncio.sleep(1.0)
        assert len(api.calls_of("sendMessage")) == 1 and len(api.messages) == 1
    finally:
        await telegram.stop()
