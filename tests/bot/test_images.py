"""bot.images: supported photos pass, bad ones and bombs are refused from the header."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bot.errors import UnreadableMedia
from bot.images import check_image, load_rgb, to_rgb_jpeg


def png(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else None).save(out, format="PNG")
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (80, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def refused(call: Callable[..., object], *args: Any, **kwargs: Any) -> str:
    """Call and return the user-facing message of the UnreadableMedia it raises."""
    with pytest.raises(UnreadableMedia) as caught:
        call(*args, **kwargs)
    return caught.value.user_message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP"])
def test_check_supported_images(fmt: str) -> None:
    assert check_image(image_bytes(fmt, (80, 60))) == (80, 60, fmt)


def test_unsupported_format_is_named() -> None:
    message = refused(check_image, image_bytes("TIFF"))
    assert message == "TIFF images are not supported; please send JPEG, PNG, WebP, GIF or BMP."


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n\x1a\n", os.urandom(2048), b"GIF89a" + b"\x00" * 10],
    ids=["empty", "png-signature-only", "garbage", "gif-header-only"],
)
def test_corrupt_images_are_refused(data: bytes) -> None:
    with pytest.raises(UnreadableMedia):
        check_image(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_images_are_refused(fmt: str) -> None:
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 400, 3), np.uint8))
    out = io.BytesIO()
    noisy.save(out, format=fmt)
    assert "damaged" in refused(check_image, out.getvalue()[: len(out.getvalue()) // 2])


@pytest.mark.parametrize(
    "side", [(10_000, 5_000), (20_000, 20_000)], ids=["over-limit", "pillow-bomb"]
)
def test_decompression_bomb_is_refused_from_the_header(side: tuple[int, int]) -> None:
    # A 1-bit PNG of many megapixels is tiny on disk; the check must not decode it.
    out = io.BytesIO()
    Image.new("1", side).save(out, format="PNG")
    assert "too large" in refused(check_image, out.getvalue())


def test_to_rgb_jpeg_shrinks_flattens_and_turns_upright() -> None:
    rgba = Image.new("RGBA", (3000, 1000), (255, 0, 0, 0))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the upright picture is 1000 wide, 3000 high
    rgba.convert("RGB").save(out, format="JPEG", exif=exif)
    jpeg = to_rgb_jpeg(out.getvalue(), max_side=512)
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG" and img.mode == "RGB"
        assert img.size == (171, 512)
    transparent = io.BytesIO()
    rgba.save(transparent, format="PNG")
    with Image.open(io.BytesIO(to_rgb_jpeg(transparent.getvalue(), 256))) as img:
        pixel = img.getpixel((10, 10))
        assert isinstance(pixel, tuple) and pixel[0] > 240  # laid over white, not black


def test_load_rgb_refuses_bad_data() -> None:
    assert load_rgb(png((10, 10), "L")).mode == "RGB"
    with pytest.raises(UnreadableMedia):
        load_rgb(b"nope")
