"""Text out: which ids are quoted, the plain resend when Telegram rejects our HTML, edits."""

from __future__ import annotations

import pytest
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.outgoing import reply_parameters, with_plain_fallback
from bot.errors import DeliveryError
from tests.fakes.telegram_server import FakeBotApi


@pytest.mark.parametrize(
    ("reply_to_id", "quoted"), [("11", 11), (None, None), ("cb:77001", None), ("wamid.X", None)]
)
def test_only_telegram_message_ids_are_quoted(reply_to_id: str | None, quoted: int | None) -> None:
    parameters = reply_parameters(reply_to_id)
    if quoted is None:
        assert parameters is None
    else:
        assert parameters is not None
        assert (parameters.message_id, parameters.allow_sending_without_reply) == (quoted, True)


class Recorder:
    """A send call that fails with the queued errors first, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[tuple[str, str | None]] = []

    async def __call__(self, body: str, parse_mode: str | None) -> bool:
        self.calls.append((body, parse_mode))
        if self.errors:
            raise self.errors.pop(0)
        return True


async def test_html_first() -> None:
    call = Recorder()
    assert await with_plain_fallback(call, "**hi** & bye") is True
    assert call.calls == [("<b>hi</b> &amp; bye", ParseMode.HTML)]


async def test_rejected_markup_is_resent_plain() -> None:
    call = Recorder(BadRequest('Can\'t parse entities: unsupported start tag "x"'))
    await with_plain_fallback(call, "**hi**")
    assert call.calls == [("<b>hi</b>", ParseMode.HTML), ("**hi**", None)]


async def test_unformatted_text_goes_plain_at_once() -> None:
    call = Recorder()
    await with_plain_fallback(call, "**hi**", formatted=False)
    assert call.calls == [("**hi**", None)]


@pytest.mark.parametrize(
    "error", [BadRequest("Chat not found"), Forbidden("Forbidden: bot was blocked by the user")]
)
async def test_other_failures_are_delivery_errors_without_a_resend(error: Exception) -> None:
    call = Recorder(error)
    with pytest.raises(DeliveryError) as failure:
        await with_plain_fallback(call, "**hi**")
    assert failure.value.permanent and len(call.calls) == 1


async def test_an_edit_that_changes_nothing_is_not_a_failure(
    adapter: TelegramAdapter, api: FakeBotApi
) -> None:
    message_id = await adapter.text.send("4242", "same words", formatted=False)
    await adapter.text.edit("4242", message_id, "same words", formatted=False)
    assert len(api.calls_of("editMessageText")) == 1
    await adapter.text.edit("4242", message_id, "new words")
    assert api.messages[("4242", message_id)] == "new words"
