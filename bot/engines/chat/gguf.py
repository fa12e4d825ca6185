"""Which GGUF file the llama.cpp engine loads, from `OMNIVOX_LLM_MODEL`.

Empty or a catalogue name (`qwen2.5-coder-0.5b`, `smollm2-135m`, `qwen2.5-coder-1.5b`):
an embedded model, joined from its packages once and checked against its pinned sha256.
A path: that file. `owner/repo/file.gguf`: a file on the Hugging Face Hub, downloaded once.
"""

from __future__ import annotations

from pathlib import Path

from bot.engines import hub
from bot.engines.catalog import CHAT_MODELS
from bot.engines.weights import Bundle, materialise
from bot.errors import EngineUnavailable

DEFAULT = "qwen2.5-coder-0.5b"
HINT = (
    "set OMNIVOX_LLM_MODEL to " + ", ".join(CHAT_MODELS)
    + ", a .gguf file path or owner/repo/file.gguf on the Hugging Face Hub"
)


def bundle_for(configured: str) -> Bundle | None:
    """The embedded model a setting names (empty: the default), else None."""
    return CHAT_MODELS.get(configured.strip().lower() or DEFAULT)


def smollm2_file() -> Path:
    """The SmolLM2 GGUF as its package ships it (usable in place), verified."""
    bundle = CHAT_MODELS["smollm2-135m"]
    return materialise(bundle, Path("/nonexistent")) / bundle.files[0].name


def resolve_model(configured: str, cache_dir: Path) -> Path:
    """The GGUF file to load (blocking: it may join, hash or download)."""
    bundle = bundle_for(configured)
    if bundle is not None:
        folder = materialise(bundle, cache_dir / "models")
        return folder / bundle.files[0].name
    path = Path(configured).expanduser()
    if path.is_file():
        return path
    if hub.is_gguf_reference(configured):
        return hub.gguf_file(configured, cache_dir)
    raise EngineUnavailable(f"no GGUF file at {path}", hint=HINT)
