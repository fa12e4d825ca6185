"""End to end: the real app (store, dispatcher, pipeline) with test-double engines,
talking to the fake Bot API over HTTP through python-telegram-bot."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.app import Omnivox, serving
from bot.models import Platform
from tests.fakes.engines import fake_engines
from tests.fakes.telegram_server import BOT_USERNAME, FakeBotApi
from tests.support.media import jpeg, voice_note
from tests.support.ports import free_port
from tests.support.settings import telegram_settings
from tests.support.telegram_payloads import load

TRANSCRIPT = "what is the weather like today"


@asynccontextmanager
async def running(api: FakeBotApi, tmp_path: Path, **overrides: Any) -> AsyncIterator[Omnivox]:
    async with serving(telegram_settings(api, tmp_path, **overrides), fake_engines()) as app:
        yield app
    assert not api.rejected, api.rejected


async def answered(app: Omnivox, api: FakeBotApi, update: dict[str, Any]) -> None:
    """Push an update, wait until it is confirmed and everything it caused is sent."""
    pushed = api.push(update)
    await api.wait_confirmed(pushed["update_id"])
    await app.dispatcher.idle()


def texts(api: FakeBotApi) -> list[str]:
    return [str(c.params["text"]) for c in api.calls_of("sendMessage")]


async def test_text_is_answered_quoting_the_message(api: FakeBotApi, tmp_path: Path) -> None:
    async with running(api, tmp_path) as app:
        await answered(app, api, load("text", text="hello there"))
    (call,) = api.calls_of("sendMessage")
    assert "You said: hello there" in call.params["text"]
    assert call.params["reply_parameters"]["message_id"] == 11
    feedback = call.params["reply_markup"]["inline_keyboard"][-1]
    assert [b["text"] for b in feedback] == ["👍", "👎"]
    assert api.calls_of("sendChatAction")[0].params["action"] == "typing"


async def test_voice_note_gets_a_voice_note_back(api: FakeBotApi, tmp_path: Path) -> None:
    ogg = voice_note()
    api.add_file("VOICE1", ogg)
    async with running(api, tmp_path) as app:
        await answered(app, api, load("voice", voice__file_size=len(ogg), voice__duration=2))
    assert api.calls_of("getFile")[0].params["file_id"] == "VOICE1"
    assert api.calls_of("download")
    (sent,) = api.calls_of("sendVoice")
    assert sent.files["voice"][:4] == b"OggS"
    assert sent.params["duration"] >= 1
    assert TRANSCRIPT in sent.params["caption"]
    assert sent.params["reply_parameters"]["message_id"] == 11
    assert api.calls_of("sendChatAction")[0].params["action"] == "record_voice"


async def test_voice_refused_by_privacy_settings_goes_as_a_file(
    api: FakeBotApi, tmp_path: Path
) -> None:
    ogg = voice_note()
    api.add_file("VOICE1", ogg)
    api.fail("sendVoice", 400, "Bad Request: VOICE_MESSAGES_FORBIDDEN")
    async with running(api, tmp_path) as app:
        await answered(app, api, load("voice", voice__file_size=len(ogg)))
    assert api.calls_of("sendDocument")[0].files["document"][:4] == b"OggS"
    assert any(TRANSCRIPT in t for t in texts(api))


async def test_photo_with_caption_is_answered(api: FakeBotApi, tmp_path: Path) -> None:
    api.add_file("PHOTO-l", jpeg())
    async with running(api, tmp_path) as app:
        await answered(app, api, load("photo", caption="what is this?"))
    assert api.calls_of("getFile")[0].params["file_id"] == "PHOTO-l"
    (answer,) = texts(api)
    assert "You said:" in answer and "what is this?" in answer


async def test_group_without_mention_gets_no_answer(api: FakeBotApi, tmp_path: Path) -> None:
    async with running(api, tmp_path) as app:
        await answered(app, api, load("group_chatter", text="lunch at noon?"))
        await asyncio.sleep(0.3)
        assert not api.calls_of("sendMessage") and not api.calls_of("sendChatAction")
        mention = load("group_mention", message_id=12, text=f"@{BOT_USERNAME} lunch?")
        await answered(app, api, mention)
    (call,) = api.calls_of("sendMessage")
    group_id = mention["message"]["chat"]["id"]
    assert call.params["chat_id"] == group_id and "You said: lunch?" in call.params["text"]


async def test_unsupported_and_oversized_get_clear_replies(api: FakeBotApi, tmp_path: Path) -> None:
    async with running(api, tmp_path) as app:
        await answered(app, api, load("sticker"))
        oversized = load("voice", message_id=12, voice__file_size=30 * 1024 * 1024)
        await answered(app, api, oversized)
    unsupported, too_large = texts(api)
    assert "can't use that kind of message" in unsupported
    assert "20 MB" in too_large
    assert not api.calls_of("getFile")


async def test_redelivered_and_edited_messages_are_answered_once(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with running(api, tmp_path) as app:
        await answered(app, api, load("text", text="once"))
        await answered(app, api, load("text", text="once"))
        await answered(app, api, load("edited_message", text="once, edited", edit_date=1))
    assert len(texts(api)) == 1


async def test_updates_that_cannot_be_handled_do_not_stop_the_ones_after(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, polling never moved past the first: every later message waited behind it."""
    with caplog.at_level(logging.WARNING):
        async with running(api, tmp_path) as app:
            api.push(load("malformed/lone_surrogate"))
            api.push(load("malformed/from_string"))
            await answered(app, api, load("text", message_id=12, text="still here"))
            stored = await app.store.history.messages(Platform.TELEGRAM, "4242")
    (answer,) = texts(api)
    assert "You said: still here" in answer
    assert [m.text for m in stored if m.direction == "in"] == ["still here"]
    rejected = [r.getMessage() for r in caplog.records if "input rejected" in r.getMessage()]
    assert len(rejected) == 2 and "lone surrogate" in rejected[0]
    assert "Ada Lovelace" not in rejected[1]  # what the user wrote stays out of WARNING
    bodies = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected")]
    assert bodies == []  # the bodies are logged only at DEBUG


async def test_a_reply_taken_but_answered_too_late_arrives_twice(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """The one window where a reply may arrive twice: Telegram has no idempotency key, and a
    bot cannot read a chat to see whether its message is there. What the code guarantees:
    nothing underneath re-sends a call that may have been taken; the outbox tries again only
    after a failure, once per failed attempt. So one late answer means exactly 2 copies."""
    api.fail("sendMessage", 0, delay=2.0, taken=True)
    async with running(api, tmp_path, telegram_request_timeout=0.5) as app:
        api.push(load("text", text="hello"))
        await api.wait_for("sendMessage", count=2, within=20)
        await app.dispatcher.idle()
        await asyncio.sleep(3.0)  # past the outbox's next retry: nothing more is sent
    copies = [text for (chat, _), text in api.messages.items() if chat == "4242"]
    assert len(copies) == 2 and all("You said: hello" in text for text in copies)
    assert len(api.calls_of("sendMessage")) == 2


async def test_flood_control_delivers_after_retry_after(api: FakeBotApi, tmp_path: Path) -> None:
    api.fail("sendMessage", 429, retry_after=1)
    async with running(api, tmp_path, telegram_rate_limiter=True) as app:
        await answered(app, api, load("text", text="hello"))
    first, second = api.calls_of("sendMessage")
    assert second.at - first.at >= 1.0
    assert "You said: hello" in second.params["text"]


async def test_flood_control_without_limiter_is_retried_by_the_outbox(
    api: FakeBotApi, tmp_path: Path
) -> None:
    api.fail("sendMessage", 429, retry_after=1)
    async with running(api, tmp_path) as app:
        api.push(load("text", text="hello"))
        calls = await api.wait_for("sendMessage", count=2, within=15)
        await app.dispatcher.idle()
    assert len(api.calls_of("sendMessage")) == 2
    assert calls[1].at - calls[0].at >= 1.0


async def test_blocked_bot_fails_without_retrying(api: FakeBotApi, tmp_path: Path) -> None:
    api.fail("sendMessage", 403, times=5)
    async with running(api, tmp_path) as app:
        await answered(app, api, load("text", text="hello"))
        await asyncio.sleep(2.5)  # longer than the outbox's retry sweep
    assert len(api.calls_of("sendMessage")) == 1


async def test_voice_picker_buttons_and_preview(api: FakeBotApi, tmp_path: Path) -> None:
    async with running(api, tmp_path) as app:
        await answered(app, api, load("text", text="/voice"))
        keyboard = api.calls_of("sendMessage")[0].params["reply_markup"]["inline_keyboard"]
        commands = [b["callback_data"] for row in keyboard for b in row]
        assert "/voice fake:alto" in commands
        await answered(app, api, load("callback_command", data="/voice fake:bass"))
    (preview,) = api.calls_of("sendVoice")
    assert preview.files["voice"][:4] == b"OggS" and "Bass" in preview.params["caption"]
    assert "reply_parameters" not in preview.params
    assert api.calls_of("answerCallbackQuery")


async def test_feedback_is_stored_with_the_answer(api: FakeBotApi, tmp_path: Path) -> None:
    async with running(api, tmp_path) as app:
        await answered(app, api, load("text", text="rate me"))
        answer_id = max(mid for (_chat, mid) in api.messages)
        press = load("callback_feedback", data="fb:+1", message__message_id=answer_id)
        await answered(app, api, press)
        await api.wait_for("answerCallbackQuery")
        stored = await app.store.history.messages(Platform.TELEGRAM, "4242")
    assert api.calls_of("answerCallbackQuery")[0].params["text"] == "Thanks for the feedback!"
    assert [m.feedback for m in stored if m.direction == "out"] == [1]


async def test_strangers_get_one_refusal(api: FakeBotApi, tmp_path: Path) -> None:
    async with running(api, tmp_path, allowed_users="telegram:1") as app:
        for n in range(3):
            await answered(app, api, load("text", message_id=20 + n, text="hi"))
    (refusal,) = texts(api)
    assert "private" in refusal


async def test_a_rejected_token_leaves_the_other_channels_serving(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, start-up failed as a whole, with a traceback that printed the token."""
    port, token = free_port(), "999:AAWrongTokenXyzzy"
    with caplog.at_level(logging.INFO):  # the default level (DEBUG is redacted by a log filter)
        async with (
            running(api, tmp_path, port=port, telegram_bot_token=token) as app,
            ClientSession() as session,
        ):
            assert [a.platform for a in app.adapters] == [Platform.WEB]
            url = f"http://127.0.0.1:{port}/api/chats/c1/messages"
            async with session.post(url, json={"text": "still here"}) as response:
                assert response.status == 202
            await app.dispatcher.idle()
            async with session.get(url) as response:
                replies = [m["text"] for m in await response.json() if m["direction"] == "out"]
    assert any("You said: still here" in reply for reply in replies)
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "rejected the bot token" in error.getMessage() and error.exc_info is None
    assert "Xyzzy" not in caplog.text
    assert not api.calls_of("getUpdates")


async def test_webhook_checks_the_secret(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/telegram"
    async with running(
        api, tmp_path, port=port, telegram_webhook_url=url, telegram_webhook_secret="s3cret-token"
    ) as app:
        assert api.webhook == {"url": url, "secret_token": "s3cret-token"}
        assert await api.deliver_webhook(load("text", text="forged"), secret="wrong") == 403
        async with ClientSession() as session, session.post(url, json={}) as response:
            assert response.status == 403
        async with (
            ClientSession() as session,
            session.post(
                url, data="{not json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            ) as response,
        ):
            assert response.status == 400
        began = time.monotonic()
        assert await api.deliver_webhook(load("text", text="real")) == 200
        assert time.monotonic() - began < 1.0  # acknowledged without waiting for the answer
        await app.dispatcher.idle()
    (answer,) = texts(api)
    assert "You said: real" in answer
    assert not api.calls_of("getUpdates")
