"""What /history shows and what /export hands over: every kind, in people's words."""

from __future__ import annotations

from bot.export import history_markdown, history_summary
from bot.models import ContentKind
from bot.ports.store import Direction
from tests.support.messages import stored

CHAT = [
    stored(1, "hello there"),
    stored(2, "Hi! How can I help?", Direction.OUT),
    stored(3, "", kind=ContentKind.VOICE, transcript="what is the weather"),
    stored(4, "It is sunny.", Direction.OUT, kind=ContentKind.VOICE),
    stored(5, "what is this?", kind=ContentKind.PHOTO, caption="a red cup"),
    stored(6, "", kind=ContentKind.UNSUPPORTED),
    stored(7, "", kind=ContentKind.AUDIO, transcript=None),
]


def test_summary_shows_transcripts_and_what_was_seen() -> None:
    text = history_summary(CHAT, turns=10)
    assert text.startswith("Our last turns:")
    assert "You: hello there" in text and "omnivox: Hi! How can I help?" in text
    assert "You: [voice note] what is the weather" in text
    assert "omnivox: [voice note] It is sunny." in text
    assert "You: [photo] what is this? — seen: a red cup" in text
    assert "[unsupported message]" in text and "[audio] (not transcribed)" in text


def test_summary_keeps_only_the_last_turns() -> None:
    text = history_summary(CHAT, turns=1)
    assert "hello there" not in text and "[audio]" in text


def test_an_empty_history_says_so() -> None:
    assert history_summary([], turns=10) == "We have not talked yet."


def test_export_is_markdown_with_every_message_stamped() -> None:
    document = history_markdown(CHAT, title="omnivox – cli chat")
    assert document.startswith("# omnivox – cli chat\n")
    assert document.count("## ") == len(CHAT)
    assert "## You · 2026-12-01 09:30:00 UTC · voice" in document
    assert "what is the weather" in document and "a red cup" in document


def test_export_shows_what_is_kept_about_the_person() -> None:
    from datetime import UTC, datetime

    from bot.ports.store import Profile, UserSettings

    profile = Profile(name="Ada", settings=UserSettings(voice="piper:joe", speed=1.25),
                      first_seen=datetime(2026, 11, 30, 8, 0, tzinfo=UTC), last_seen=None)
    document = history_markdown(CHAT, title="t", profile=profile)
    assert "## What is kept about you" in document
    assert "- name: Ada" in document and "- voice: piper:joe" in document
    assert "- speaking speed: 1.25×" in document and "2026-11-30 08:00:00 UTC" in document


def test_export_lists_the_persons_messages_in_other_chats() -> None:
    document = history_markdown(CHAT[:1], title="t", elsewhere=[stored(9, "said in a group")])
    assert "## Your messages in other chats" in document
    assert "### You · " in document and "said in a group" in document
