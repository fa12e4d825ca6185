"""A synthesised clip as the 48 kHz 16-bit mono a call plays (blocking: run in a thread)."""

from __future__ import annotations

import av
import numpy as np

from bot.ports.engines import AudioClip
from bot.talk.playback import RATE


def to_playback(clip: AudioClip) -> np.ndarray:
    samples = np.clip(clip.samples.astype(np.float32), -1.0, 1.0).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
    frame.sample_rate = clip.sample_rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = [f.to_ndarray().reshape(-1) for f in [*resampler.resample(frame),
                                                 *resampler.resample(None)]]  # fmt: skip
    return np.concatenate(out).astype(np.int16) if out else np.zeros(0, np.int16)
