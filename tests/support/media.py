"""Real media made in the test: OGG/Opus voice notes holding a tone, and photos."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bot.audio import encode_voice_note
from bot.ports.engines import AudioClip


def tone_ogg(seconds: float = 1.0, freq: float = 440.0) -> bytes:
    """A real OGG/Opus voice note holding a tone (not silence, so the guard lets it through)."""
    t = np.arange(int(16000 * seconds)) / 16000
    samples = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return encode_voice_note(AudioClip(samples=samples, sample_rate=16000)).data


def voice_note(seconds: float = 1.5) -> bytes:
    return tone_ogg(seconds, 330.0)


def jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()
