"""Real media made in the test: an OGG/Opus voice note and a JPEG photo."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bot.engines.base import AudioClip
from bot.media import encode_voice_note


def voice_note(seconds: float = 1.5) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    samples = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    return encode_voice_note(AudioClip(samples=samples, sample_rate=16000)).data


def jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()
