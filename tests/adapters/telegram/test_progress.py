"""Progress of a long transcription on Telegram: one message, edited, then deleted."""

from __future__ import annotations

from adapters.telegram.adapter import TelegramAdapter
from tests.fakes.telegram_server import FakeBotApi


async def test_progress_is_one_edited_message_deleted_at_the_end(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    line = adapter.open_progress("4242", "11")
    await line.update("transcribing… 0 % of 10:00", 0.0)
    await line.update("transcribing… 40 % of 10:00", 0.4)
    await line.close()
    (sent,) = api.calls_of("sendMessage")
    assert sent.params["text"] == "transcribing… 0 % of 10:00"
    assert sent.params["reply_parameters"]["message_id"] == 11
    (edit,) = api.calls_of("editMessageText")
    assert edit.params["text"] == "transcribing… 40 % of 10:00"
    (deleted,) = api.calls_of("deleteMessage")
    assert str(deleted.params["message_id"]) == str(edit.params["message_id"])
