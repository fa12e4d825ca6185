"""Image checks and bounded decoding: the only place that touches image formats.

A photo is opened header-first, refused early when its format or pixel count is
wrong, and decoded at most once at full size at a time, so any accepted photo stays
within the memory budget. Every failure becomes `UnreadableMedia` with one line a
user can act on.
"""

from __future__ import annotations

import io
import logging
import threading

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.errors import UnreadableMedia

log = logging.getLogger(__name__)

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
_IMAGE_FORMATS_TEXT = "JPEG, PNG, WebP, GIF or BMP"


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse unsupported formats and bombs."""
    if not data:
        raise UnreadableMedia("That image is empty.", "empty image")
    try:
        img = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise _bomb(str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise UnreadableMedia(_unsupported_message(data), f"image not identified: {exc}") from exc
    except Exception as exc:
        raise UnreadableMedia(
            "That image seems damaged; could you send it again?", f"image open failed: {exc}"
        ) from exc
    width, height = img.size
    if width <= 0 or height <= 0:
        raise UnreadableMedia("That image has no pixels in it.", "zero-sized image")
    if width * height > max_pixels:
        raise _bomb(f"{width}x{height} > {max_pixels} pixels")
    return img


def _bomb(detail: str) -> UnreadableMedia:
    return UnreadableMedia(
        "That image is far too large in pixels for me to open safely.",
        f"decompression bomb guard: {detail}",
    )


def _unsupported_message(data: bytes) -> str:
    """Name the format when Pillow knows it but we do not accept it."""
    try:
        other = Image.open(io.BytesIO(data)).format
    except Exception:
        other = None
    if other:
        return f"{other} images are not supported; please send {_IMAGE_FORMATS_TEXT}."
    return f"That file is not an image I can read; please send {_IMAGE_FORMATS_TEXT}."


# At most one picture is decoded at full size at a time, whatever the number of chats:
# a full decode costs width x height x 4 bytes (Pillow keeps RGB as RGBX), 160 MB at
# the pixel limit, and shrinking it adds at most one band (1 byte a pixel) on top.
_FULL_DECODES = threading.BoundedSemaphore(1)
# Pictures are kept at most this large once decoded: OCR reads at 1600 px, classifiers
# and captioners at a few hundred.
DECODE_MAX_SIDE = 2048
_REDUCIBLE = ("L", "LA", "RGB", "RGBA", "CMYK", "YCbCr")


def _decode(img: Image.Image, max_side: int, *, shrink: bool = True) -> Image.Image:
    """The pixels, at most `max_side` a side, with only one full-size copy ever made.

    JPEGs decode at reduced scale directly (`draft`); other formats decode once at full
    size and are reduced right away by a whole factor (box filter). Truncation still
    shows: every byte is read.
    """
    try:
        with _FULL_DECODES:
            if img.format == "JPEG":
                img.draft("RGB", (max_side, max_side))
            img.load()
            if not shrink:
                return img
            small = _shrunk(img, max_side)
            if small is not img:
                img.close()  # frees the full-size pixels now, not when the caller is done
            return small
    except Image.DecompressionBombError as exc:
        raise _bomb(str(exc)) from exc
    except Exception as exc:
        raise UnreadableMedia(
            "That image seems damaged or cut off; could you send it again?",
            f"image decode failed: {exc}",
        ) from exc


def _shrunk(img: Image.Image, max_side: int) -> Image.Image:
    """The picture reduced to at most `max_side` a side; palette and odd modes become
    RGB(A) first. Bands with transparency are reduced one at a time, because Pillow
    reduces RGBA through a premultiplied full-size copy."""
    if max(img.size) <= max_side:
        return img
    if img.mode not in _REDUCIBLE:
        transparent = img.mode in ("PA", "RGBa") or "transparency" in img.info
        img = img.convert("RGBA" if transparent else "RGB")
    factor = -(-max(img.size) // max_side)
    if img.mode in ("LA", "RGBA"):
        small = Image.merge(img.mode, [_reduced_band(img, i, factor) for i in range(len(img.mode))])
    else:
        small = img.reduce(factor)
    small.info = dict(img.info)  # keeps the EXIF orientation
    return small


def _reduced_band(img: Image.Image, band: int, factor: int) -> Image.Image:
    full = img.getchannel(band)
    try:
        return full.reduce(factor)
    finally:
        full.close()


def check_image(data: bytes, *, max_pixels: int = 40_000_000) -> tuple[int, int, str]:
    """Return (width, height, format) after proving the image decodes.

    The pixel limit is checked from the header before any decoding; the pixels are
    then decoded once, within the decoding bound (JPEGs at reduced scale).
    """
    img = _open_image(data, max_pixels)
    width, height = img.size
    fmt = str(img.format)
    with img:
        _decode(img, DECODE_MAX_SIDE, shrink=False)
    return width, height, fmt


def to_rgb_jpeg(data: bytes, max_side: int = 1024, *, max_pixels: int = 40_000_000) -> bytes:
    """Re-encode a photo as an upright RGB JPEG no larger than `max_side` (for vision LLMs)."""
    # decoded at up to twice the size, so the last step is a proper resampling to max_side
    rgb = load_rgb(data, max_pixels=max_pixels, max_side=2 * max_side)
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def load_rgb(
    data: bytes, *, max_pixels: int = 40_000_000, max_side: int = DECODE_MAX_SIDE
) -> Image.Image:
    """Open, check and decode an image as an upright RGB picture (for local vision
    models), at most `max_side` a side so that memory stays bounded."""
    img = _open_image(data, max_pixels)
    with img:
        picture = _decode(img, max_side)
        upright = ImageOps.exif_transpose(picture) or picture
        return _flatten(upright)


def _flatten(img: Image.Image) -> Image.Image:
    """RGB with any transparency laid over white (a photo of a logo should stay readable)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")
