"""bot.audio: every audio format users send decodes; every bad input gets a clear error."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from bot.audio import decode_audio, encode_voice_note
from bot.errors import UnreadableMedia
from bot.ports.engines import AudioClip
from tests.support.corpus import TESTDATA

# (container format, codec, sample rate) for what users and browsers send.
FORMATS = {
    "ogg-opus": ("ogg", "libopus", 48_000),
    "mp3": ("mp3", "libmp3lame", 44_100),
    "m4a-aac": ("ipod", "aac", 44_100),
    "wav": ("wav", "pcm_s16le", 22_050),
    "flac": ("flac", "flac", 16_000),
    "webm-opus": ("webm", "libopus", 48_000),
}


def tone(seconds: float = 1.5, rate: int = 16_000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(kind: str, seconds: float = 1.5) -> bytes:
    """Encode a tone with PyAV into one of FORMATS."""
    fmt, codec, rate = FORMATS[kind]
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        samples = tone(seconds, rate)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def wav_header_only() -> bytes:
    return (
        b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 16_000, 32_000, 2, 16)
        + b"data" + struct.pack("<I", 0)
    )


def png(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else None).save(out, format="PNG")
    return out.getvalue()


def refused(call: Callable[..., object], *args: Any, **kwargs: Any) -> str:
    """Call and return the user-facing message of the UnreadableMedia it raises."""
    with pytest.raises(UnreadableMedia) as caught:
        call(*args, **kwargs)
    return caught.value.user_message


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_decode_every_user_format(kind: str) -> None:
    clip = decode_audio(encode(kind, 1.5))
    assert clip.sample_rate == 16_000
    assert clip.samples.dtype == np.float32
    assert clip.samples.ndim == 1
    assert abs(clip.duration - 1.5) < 0.15, clip.duration
    assert 0.1 < float(np.abs(clip.samples).max()) <= 1.0


BAD_AUDIO = {
    "empty": b"",
    "garbage": os.urandom(4096),
    "text": b"hello, this is not audio at all\n" * 50,
    "image": png(),
    "header only": wav_header_only(),
    "truncated ogg": encode("ogg-opus")[:60],
    "truncated mp3": encode("mp3")[:40],
}


@pytest.mark.parametrize("name", sorted(BAD_AUDIO))
def test_bad_audio_is_refused_clearly(name: str) -> None:
    with pytest.raises(UnreadableMedia) as caught:
        decode_audio(BAD_AUDIO[name])
    message = caught.value.user_message
    assert message and "\n" not in message and len(message) < 200


def test_truncated_mid_stream_keeps_what_was_sent() -> None:
    data = encode("ogg-opus", 3.0)
    clip = decode_audio(data[: len(data) // 2])
    assert 0.5 < clip.duration < 2.5


def test_too_long_audio_is_refused() -> None:
    message = refused(decode_audio, encode("ogg-opus", 3.0), max_seconds=1.0)
    assert "too long" in message and "1 second" in message


def test_encode_voice_note_is_ogg_opus_48k_mono() -> None:
    clip = AudioClip(samples=tone(2.0, 22_050), sample_rate=22_050)
    voice = encode_voice_note(clip)
    assert voice.mime_type == "audio/ogg"
    assert voice.data[:4] == b"OggS"
    assert abs(voice.duration - 2.0) < 0.01
    with av.open(io.BytesIO(voice.data)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        assert stream.rate == 48_000
        assert stream.channels == 1
    kbps = len(voice.data) * 8 / voice.duration / 1000
    assert 16 < kbps < 48, kbps
    back = decode_audio(voice.data)
    assert abs(back.duration - 2.0) < 0.1


def test_encode_empty_clip_gives_a_valid_file() -> None:
    voice = encode_voice_note(AudioClip(samples=np.zeros(0, np.float32), sample_rate=16_000))
    assert voice.data[:4] == b"OggS"
    assert voice.duration == 0.0


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "seconds"),
    [("whisper_jfk.flac", 11.0), ("speechrecognition_english.wav", 2.74),
     ("ptb_telegram_voice.ogg", 3.45)],
)
def test_corpus_audio_decodes(name: str, seconds: float) -> None:
    path = TESTDATA / "audio" / name
    if not path.is_file():
        pytest.skip("shared testdata absent")
    data = path.read_bytes()
    assert abs(decode_audio(data).duration - seconds) < 0.2
