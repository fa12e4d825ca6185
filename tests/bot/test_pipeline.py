"""The pipeline's pure parts: reply policy, photo descriptions, speakable text."""

from __future__ import annotations

import io

from bot.models import ContentKind, MediaRef
from bot.pipeline import describe_for_model, speakable, wants_voice
from bot.ports.engines import ImageDescription
from bot.ports.store import UserSettings
from storage.store import SqlStore


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


async def test_a_photo_reaches_a_vision_model_as_one_bounded_jpeg(store: SqlStore) -> None:
    from PIL import Image

    from bot.pipeline import Pipeline
    from tests.fakes.channel import RecordingChannel
    from tests.fakes.engines import FakeChat, fake_engines
    from tests.support.media import png
    from tests.support.messages import stored
    from tests.support.settings import make_settings

    engines = fake_engines()
    engines.chat = FakeChat(accepts_images=True)
    settings = make_settings()
    pipeline = Pipeline(engines, store.history, settings.conversation, settings.limits)
    channel = RecordingChannel()
    channel.files["p"] = png((3000, 2000))
    photo = stored(1, "what is it?", kind=ContentKind.PHOTO, media=MediaRef(file_id="p"))
    understood = await pipeline.understand(photo, channel)
    (jpeg,) = understood.images
    with Image.open(io.BytesIO(jpeg)) as sent:
        assert sent.format == "JPEG" and max(sent.size) == 1024
    assert understood.caption and "cup" in understood.caption and understood.problem is None
