"""The offline describer reads text and names things, and never claims to caption."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from bot.errors import UnreadableMedia
from tests.support.corpus import corpus_path

pytestmark = pytest.mark.slow


def sign(text: str) -> bytes:
    img = Image.new("RGB", (640, 200), "white")
    draw = ImageDraw.Draw(img)
    draw.text((30, 60), text, fill="black", font=ImageFont.load_default(size=48))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


async def test_reads_text_drawn_into_an_image(describer: Any) -> None:
    found = await describer.describe(sign("Fresh pesto 4.50 EUR"))
    assert found.caption is None
    assert describer.can_caption is False
    assert "pesto" in found.text.lower(), found.text
    assert "4.50" in found.text
    assert (found.width, found.height) == (640, 200)
    assert found.labels and all(0 <= score <= 1 for _, score in found.labels)


async def test_bad_image_is_refused(describer: Any) -> None:
    with pytest.raises(UnreadableMedia):
        await describer.describe(b"not an image")


@pytest.mark.corpus
async def test_coffee_photo_gets_a_coffee_label(describer: Any) -> None:
    found = await describer.describe(corpus_path("images", "skimage_coffee.png").read_bytes())
    names = " ".join(name.lower() for name, _ in found.labels[:3])
    assert any(w in names for w in ("coffee", "cup", "espresso")), found.labels
