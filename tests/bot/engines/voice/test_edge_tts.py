"""edge-tts: the speed it is asked for, and Piper speaking when the service is unreachable."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.engines.voice.edge_tts import EdgeSynthesizer, rate_for
from tests.support.settings import make_settings


def test_rate_for_speed() -> None:
    assert rate_for(1.0) == "+0%"
    assert rate_for(1.25) == "+25%"
    assert rate_for(0.8) == "-20%"
    assert rate_for(9) == "+100%"


@pytest.mark.slow
async def test_edge_tts_unreachable_falls_back_to_piper(
    piper: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("edge_tts")
    # A proxy on a closed local port makes every connection fail at once, offline.
    edge = EdgeSynthesizer(make_settings(tts="edge-tts").voice, fallback=piper,
                           proxy="http://127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger="bot.engines.voice.edge_tts"):
        clip = await edge.synthesize("Hello from the fallback voice.", None)
    assert clip.sample_rate == 22_050 and clip.duration > 1.0
    warning = next(r for r in caplog.records if "edge-tts unreachable" in r.getMessage())
    assert "piper" in warning.getMessage()
    assert edge.last_error  # the reason is kept for doctor
    voices = await edge.voices()  # still down: the fallback's voices are offered
    assert voices and voices[0].engine == "piper"
    assert "last failure" in edge.status().detail
