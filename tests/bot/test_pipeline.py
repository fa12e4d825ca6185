"""The pipeline's pure parts: reply policy, photo descriptions, speakable text."""

from __future__ import annotations

from bot.models import ContentKind
from bot.pipeline import describe_for_model, speakable, wants_voice
from bot.ports.engines import ImageDescription
from bot.ports.store import UserSettings


def test_reply_policy() -> None:
    auto, text, voice = (UserSettings(reply_mode=m) for m in ("auto", "text", "voice"))
    assert wants_voice(auto, ContentKind.VOICE) and wants_voice(auto, ContentKind.AUDIO)
    assert not wants_voice(auto, ContentKind.TEXT) and not wants_voice(auto, ContentKind.PHOTO)
    assert not wants_voice(text, ContentKind.VOICE)
    assert wants_voice(voice, ContentKind.TEXT)


def test_markup_is_not_read_aloud() -> None:
    assert speakable("**Bold** and `code` see [the docs](http://x)") == "Bold and code see the docs"


def test_photo_description_keeps_only_confident_labels() -> None:
    sure = describe_for_model(ImageDescription(caption=None, labels=(("espresso", 0.62),
                                                                     ("cup", 0.05))))
    assert "espresso (62%)" in sure and "cup" not in sure
    unsure = describe_for_model(ImageDescription(caption=None, labels=(("hook", 0.02),),
                                                 text="CLOSED ON MONDAY"))
    assert "hook" not in unsure and "recognised with confidence" in unsure
    assert '"CLOSED ON MONDAY"' in unsure
