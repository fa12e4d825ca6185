"""The transformers chat engine: what it hands to from_pretrained for each configuration."""

from __future__ import annotations

from pathlib import Path

from bot.engines.chat.gguf import smollm2_file
from bot.engines.chat.transformers import _source


def test_transformers_chat_model_sources(tmp_path: Path) -> None:
    bundled = smollm2_file()
    assert _source("") == (str(bundled.parent), {"gguf_file": bundled.name})
    assert _source("HuggingFaceTB/SmolLM2-360M-Instruct") == (
        "HuggingFaceTB/SmolLM2-360M-Instruct", {}
    )
    local = tmp_path / "model.gguf"
    assert _source(str(local)) == (str(tmp_path), {"gguf_file": "model.gguf"})
