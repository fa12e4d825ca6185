"""openai-whisper: a tiny random checkpoint goes through the real load-and-transcribe path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.engines.registry import build_transcriber
from bot.engines.speech.openai_whisper import OpenAIWhisperTranscriber
from bot.ports.engines import AudioClip, Transcript
from tests.support.settings import make_settings

pytestmark = pytest.mark.slow

whisper = pytest.importorskip("whisper")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised multilingual Whisper with tiny dimensions."""
    from whisper.model import ModelDimensions, Whisper

    dims = ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=1,
        n_vocab=51865, n_text_ctx=64, n_text_state=32, n_text_head=2, n_text_layer=1,
    )
    torch.manual_seed(0)
    model = Whisper(dims)
    with torch.no_grad():  # some of Whisper's parameters start uninitialised (torch.empty)
        for param in model.parameters():
            param.normal_(0.0, 0.02)
    path = tmp_path_factory.mktemp("whisper") / "tiny-random.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)
    return path


async def test_random_checkpoint_transcribes(checkpoint: Path) -> None:
    settings = make_settings(asr="openai-whisper", asr_model=str(checkpoint))
    engine = build_transcriber(settings)
    assert isinstance(engine, OpenAIWhisperTranscriber)
    assert engine.languages is None  # multilingual
    assert engine.status().available
    t = np.arange(16_000 * 2) / 16_000
    clip = AudioClip(samples=(0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32),
                     sample_rate=16_000)
    result = await engine.transcribe(clip)
    assert isinstance(result, Transcript)
    assert isinstance(result.text, str)
    assert result.language  # detected, whatever a random model guesses
    assert 0.0 <= result.confidence <= 1.0
    assert result.duration == pytest.approx(2.0)


def test_missing_checkpoint_is_reported() -> None:
    engine = OpenAIWhisperTranscriber(make_settings(asr_model="/nowhere/model.pt").speech)
    status = engine.status()
    assert not status.available and "no checkpoint" in status.detail
