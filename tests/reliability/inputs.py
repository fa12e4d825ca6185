"""Bad media, made here: real files that are broken, extreme or not what they claim."""

from __future__ import annotations

import io
import struct
import wave
import zlib
from functools import cache

import av
import numpy as np
from PIL import Image

from tests.support.media import jpeg, tone_ogg


def truncated_ogg() -> bytes:
    whole = tone_ogg(2.0)
    return whole[: len(whole) // 2]


def random_bytes(size: int = 4096, seed: int = 5) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def silent_ogg(seconds: float = 1.5) -> bytes:
    return _opus(np.zeros(int(8000 * seconds), dtype=np.int16), seconds)


@cache
def three_hour_ogg() -> bytes:
    """A real, playable 3-hour OGG/Opus recording (of near silence), about 3 MB."""
    return _opus(np.zeros(8000 * 60, dtype=np.int16), 3 * 3600)


def _opus(chunk: np.ndarray, seconds: float) -> bytes:
    out = io.BytesIO()
    container = av.open(out, "w", format="ogg")
    stream = container.add_stream("libopus", rate=8000)
    stream.layout = "mono"
    stream.bit_rate = 6000
    stream.options = {"application": "voip", "compression_level": "0", "frame_duration": "60"}
    done = 0
    total = int(8000 * seconds)
    while done < total:
        samples = chunk[: total - done]
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate, frame.pts = 8000, done
        for packet in stream.encode(frame):
            container.mux(packet)
        done += len(samples)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return out.getvalue()


def wav_96k_8ch(seconds: float = 1.0) -> bytes:
    """96 kHz, 8 channels, 16-bit: a studio recorder's file, not a phone's."""
    t = np.arange(int(96000 * seconds)) / 96000
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    samples = np.repeat(tone[:, None], 8, axis=1)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(8)
        file.setsampwidth(2)
        file.setframerate(96000)
        file.writeframes(samples.tobytes())
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 20_000) -> bytes:
    """A valid 1-bit PNG of side×side pixels (400 megapixels) in about 50 KB."""
    row = b"\x00" + bytes((side + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)
            + _png_chunk(b"IEND", b""))  # fmt: skip


def png_header_only(side: int = 30_000) -> bytes:
    """A PNG header claiming side×side RGB pixels, with almost no pixel data behind it."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    pixels = _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + pixels + _png_chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    whole = jpeg((640, 480))
    return whole[: len(whole) // 3]


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
       b'<circle cx="50" cy="50" r="40" fill="red"/></svg>')  # fmt: skip


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (80, 60), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)  # fmt: skip
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (120, 90), (0, 128, 255, 30)).save(out, format="JPEG")
    return out.getvalue()
