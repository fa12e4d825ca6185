"""The system prompt: ours or the configured one, plus what a reply's form needs."""

from __future__ import annotations

from bot.prompts import DEFAULT_SYSTEM_PROMPT, PHOTO_NOTE, VOICE_ADDENDUM, system_prompt
from tests.support.settings import make_settings


def test_ours_by_default_with_the_photo_note() -> None:
    prompt = system_prompt(make_settings().conversation, spoken=False)
    assert prompt == DEFAULT_SYSTEM_PROMPT + PHOTO_NOTE
    assert VOICE_ADDENDUM not in prompt


def test_a_spoken_reply_is_told_it_will_be_heard() -> None:
    assert system_prompt(make_settings().conversation, spoken=True).endswith(VOICE_ADDENDUM)


def test_a_configured_prompt_replaces_ours() -> None:
    pirate = make_settings(system_prompt="  Be a pirate.  ").conversation
    assert system_prompt(pirate, spoken=False) == "Be a pirate." + PHOTO_NOTE
    blank = make_settings(system_prompt="   ").conversation
    assert system_prompt(blank, spoken=False).startswith(DEFAULT_SYSTEM_PROMPT)
