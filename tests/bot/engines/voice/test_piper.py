"""Piper: the bundled voice, listed and speaking at the speed asked for."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


async def test_piper_voices_and_speed(piper: Any) -> None:
    voices = await piper.voices()
    assert [(v.id, v.language) for v in voices] == [("piper:en_US-joe-medium", "en-US")]
    normal = await piper.synthesize("The weather is lovely today.", None)
    fast = await piper.synthesize("The weather is lovely today.", None, speed=1.5)
    assert normal.sample_rate == 22_050
    assert 1.0 < normal.duration < 4.0
    assert fast.duration < normal.duration * 0.8
