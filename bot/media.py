"""Audio decode/encode and image checks: the only place that touches media formats.

Audio goes through PyAV (it bundles FFmpeg), so no external binary is needed:
whatever users send (OGG/Opus voice notes, MP3, M4A/AAC, WAV, FLAC, browser
WebM/Opus) becomes 16 kHz mono float32 for speech recognition, and replies
become OGG/Opus voice notes, the format Telegram and WhatsApp play inline.
Every failure becomes `UnreadableMedia` with one line a user can act on.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from typing import Any

import av
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from bot.errors import UnreadableMedia
from bot.models import VoiceAudio
from bot.ports.engines import ASR_SAMPLE_RATE, AudioClip

log = logging.getLogger(__name__)

VOICE_SAMPLE_RATE = 48_000
# libopus at complexity 5 encodes speech three times faster than at its default 10
# (60 ms instead of 230 ms for a 10 s reply here) but overshoots its VBR target: asked
# for 24 kb/s it produces the ~32 kb/s that voice notes use.
VOICE_BIT_RATE = 24_000
OPUS_OPTIONS = {"compression_level": "5", "application": "audio"}
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
_IMAGE_FORMATS_TEXT = "JPEG, PNG, WebP, GIF or BMP"
_AUDIO_HELP = "Please send a voice note or an OGG, MP3, M4A, WAV, FLAC or WebM file."


def _open_audio(data: bytes) -> tuple[Any, Any]:
    """Open a container and return it with its first audio stream."""
    if not data:
        raise UnreadableMedia("That audio file is empty.", "empty audio")
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except Exception as exc:
        raise UnreadableMedia(
            f"I could not read that audio. {_AUDIO_HELP}", f"audio open failed: {exc}"
        ) from exc
    if not container.streams.audio:
        container.close()
        raise UnreadableMedia(
            f"That file has no sound in it. {_AUDIO_HELP}", "no audio stream in container"
        )
    return container, container.streams.audio[0]


def probe_duration(data: bytes) -> float | None:
    """Seconds of audio in `data` without decoding it: the container's figure, else the
    packets' durations added up (demuxing only, fast even for hours of audio)."""
    container, stream = _open_audio(data)
    with container:
        if container.duration:
            return float(container.duration) / 1_000_000
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        total = 0
        base = stream.time_base
        try:
            for packet in container.demux(stream):
                total += packet.duration or 0
        except Exception:
            return None
        return float(total * base) if base and total else None


def audio_blocks(
    data: bytes, *, block_seconds: float = 10.0, sample_rate: int = ASR_SAMPLE_RATE
) -> Iterator[np.ndarray]:
    """Decode in blocks of about `block_seconds` (mono float32 at `sample_rate`), so an
    hour of audio never sits in memory as samples at once."""
    container, stream = _open_audio(data)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    wanted = int(block_seconds * sample_rate)
    pending: list[np.ndarray] = []
    held = 0
    try:
        with container:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    pending.append(chunk)
                    held += len(chunk)
                if held >= wanted:
                    yield _clipped(np.concatenate(pending))
                    pending, held = [], 0
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
    except UnreadableMedia:
        raise
    except Exception as exc:
        raise UnreadableMedia(
            "That audio seems damaged or cut off; could you send it again?",
            f"audio decode failed: {exc}",
        ) from exc
    if pending:
        yield _clipped(np.concatenate(pending))


def _clipped(samples: np.ndarray) -> np.ndarray:
    samples = samples.astype(np.float32, copy=False)
    np.clip(samples, -1.0, 1.0, out=samples)
    return samples


def decode_audio(
    data: bytes, *, max_seconds: float = 900.0, sample_rate: int = ASR_SAMPLE_RATE
) -> AudioClip:
    """Decode a clip whole to mono float32 samples (16 kHz, what ASR wants); longer
    recordings go through `audio_blocks`."""
    chunks: list[np.ndarray] = []
    total = 0
    limit = int(max_seconds * sample_rate)
    for block in audio_blocks(data, block_seconds=5.0, sample_rate=sample_rate):
        chunks.append(block)
        total += len(block)
        if total > limit:
            raise UnreadableMedia(
                f"That recording is too long: the limit is {_minutes(max_seconds)}.",
                f"audio longer than {max_seconds} s",
            )
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise UnreadableMedia(
            "That recording has no sound in it.", "audio decoded to zero samples"
        )
    return AudioClip(samples=samples, sample_rate=sample_rate)


class VoiceNoteWriter:
    """An OGG/Opus voice note written clip by clip, so a reply spoken sentence by sentence
    is encoded as it is spoken and only the last sentence's audio remains at the end.
    Not thread-safe: one writer per reply, used from one thread at a time."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._container: Any = av.open(self._out, mode="w", format="ogg")
        self._stream: Any = self._container.add_stream(
            "libopus", rate=VOICE_SAMPLE_RATE, options=dict(OPUS_OPTIONS)
        )
        self._stream.bit_rate = VOICE_BIT_RATE
        self._stream.layout = "mono"
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=VOICE_SAMPLE_RATE)
        self._rate: int | None = None
        self.duration = 0.0

    def add(self, clip: AudioClip) -> None:
        if clip.samples.size == 0:
            return
        if self._rate is not None and clip.sample_rate != self._rate:
            raise ValueError("one voice note holds clips of one sample rate")
        self._rate = clip.sample_rate
        samples = np.ascontiguousarray(np.clip(clip.samples, -1.0, 1.0), dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = clip.sample_rate
        self._encode(self._resampler.resample(frame))
        self.duration += clip.duration

    def _encode(self, frames: list[Any]) -> None:
        for resampled in frames:
            resampled.pts = None
            for packet in self._stream.encode(resampled):
                self._container.mux(packet)

    def finish(self) -> VoiceAudio:
        if self._rate is None:  # still a playable file: one Opus frame of silence
            self.add(AudioClip(samples=np.zeros(320, np.float32), sample_rate=16_000))
            self.duration = 0.0
        self._encode(self._resampler.resample(None))
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return VoiceAudio(data=self._out.getvalue(), duration=self.duration,
                          mime_type="audio/ogg")  # fmt: skip


def encode_voice_note(clip: AudioClip) -> VoiceAudio:
    """Encode a clip as an OGG/Opus voice note, 48 kHz mono at ~32 kb/s (measured)."""
    writer = VoiceNoteWriter()
    writer.add(clip)
    return writer.finish()


def _minutes(seconds: float) -> str:
    if seconds >= 60:
        minutes = seconds / 60
        return f"{minutes:g} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


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
