"""Turns become chat messages: the system prompt first, unless the caller put one there."""

from __future__ import annotations

from bot.engines.chat.messages import text_messages, with_system
from bot.models import ChatTurn
from bot.prompts import DEFAULT_SYSTEM_PROMPT, base_prompt
from tests.support.settings import make_settings


def test_system_prompt_default_and_override() -> None:
    assert base_prompt(make_settings().conversation) == DEFAULT_SYSTEM_PROMPT
    pirate = make_settings(system_prompt="Be a pirate.").conversation
    assert base_prompt(pirate) == "Be a pirate."
    turns = [ChatTurn(role="user", text="hi")]
    assert with_system(turns, "S")[0] == ChatTurn(role="system", text="S")
    mine = [ChatTurn(role="system", text="mine"), *turns]
    assert with_system(mine, "S") == mine


def test_text_messages_leave_images_out() -> None:
    turns = [ChatTurn(role="user", text="What is this?", images=(b"jpeg bytes",))]
    assert text_messages(turns) == [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
        {"role": "user", "content": "What is this?"},
    ]
