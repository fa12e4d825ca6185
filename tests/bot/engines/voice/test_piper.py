"""Piper: the bundled voice, listed and speaking at the speed asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.engines.voice.piper import PiperSynthesizer
from bot.errors import EngineUnavailable
from tests.support.settings import make_settings


@pytest.mark.slow
async def test_piper_voices_and_speed(piper: Any) -> None:
    voices = await piper.voices()
    assert [(v.id, v.language) for v in voices] == [("piper:en_US-joe-medium", "en-US")]
    normal = await piper.synthesize("The weather is lovely today.", None)
    fast = await piper.synthesize("The weather is lovely today.", None, speed=1.5)
    assert normal.sample_rate == 22_050
    assert 1.0 < normal.duration < 4.0
    assert fast.duration < normal.duration * 0.8


async def test_a_missing_voice_file_says_what_to_set(tmp_path: Path) -> None:
    engine = PiperSynthesizer(make_settings(tts_voice=str(tmp_path / "absent.onnx")).voice)
    status = engine.status()
    assert not status.available and "no Piper voice" in status.detail
    assert status.hint and "OMNIVOX_TTS_VOICE" in status.hint
    with pytest.raises(EngineUnavailable, match="no Piper voice"):
        await engine.warm_up()
