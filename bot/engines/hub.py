"""Models from the Hugging Face Hub, for users with internet: downloaded once, verified.

Three kinds of name reach here: a faster-whisper model (`small`, `large-v3-turbo`, or a
repo id holding a CTranslate2 conversion), a GGUF file as `owner/repo/file.gguf`, and a
Piper voice (`fr_FR-siwis-medium`, from rhasspy/piper-voices). Files are fetched with
`huggingface_hub.hf_hub_download` into `<cache>/hub` (its own cache layout, so a second
start finds them without the network), and each large file is checked against the
sha256 the Hub gave for it (the ETag of an LFS file) before anything loads it.

`HF_ENDPOINT` is read when a download starts, not when huggingface_hub is imported, so a
mirror (or the tests' fake Hub on 127.0.0.1) can be set at any time.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from bot.engines.weights import sha256_of
from bot.errors import EngineUnavailable

log = logging.getLogger(__name__)

HINT = "pip install huggingface_hub (and allow this server to reach the Hub once)"
PIPER_REPO = "rhasspy/piper-voices"
# What faster-whisper itself downloads for a model (its `download_model` patterns).
_WHISPER_REQUIRED = ("config.json", "model.bin", "tokenizer.json")
_WHISPER_VOCABULARY = ("vocabulary.txt", "vocabulary.json")
_WHISPER_OPTIONAL = ("preprocessor_config.json",)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PIPER_NAME = re.compile(r"^(?P<lang>[a-z]{2,3})_(?P<region>[A-Z]{2})-(?P<speaker>[\w]+)-"
                         r"(?P<quality>x_low|low|medium|high)$")  # fmt: skip


def is_gguf_reference(name: str) -> bool:
    """`owner/repo/file.gguf` (possibly in a subfolder), not a path on this machine."""
    if name.startswith(("/", "~", ".")) or Path(name).exists():
        return False
    return name.endswith(".gguf") and name.count("/") >= 2


def is_piper_name(name: str) -> bool:
    return bool(_PIPER_NAME.match(name))


def whisper_repo(name: str) -> str:
    """The Hub repo of a faster-whisper model name (as faster-whisper maps them)."""
    if "/" in name:
        return name
    from faster_whisper.utils import _MODELS

    repo = _MODELS.get(name)
    if repo is None:
        raise EngineUnavailable(
            f"unknown Whisper model {name!r}",
            hint="set OMNIVOX_ASR_MODEL to base, tiny.en, a faster-whisper name "
            f"({', '.join(sorted(_MODELS)[:6])}…), a Hub repo id or a local folder",
        )
    return repo


def fetch(repo_id: str, filename: str, cache_dir: Path) -> Path:
    """One file from the Hub (or the Hub cache when it is already there), verified."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import RemoteEntryNotFoundError, RepositoryNotFoundError
    except ImportError as exc:
        raise EngineUnavailable("huggingface_hub is not installed", hint=HINT) from exc
    try:
        path = Path(hf_hub_download(
            repo_id, filename, cache_dir=str(cache_dir / "hub"),
            endpoint=os.environ.get("HF_ENDPOINT") or None,
        ))  # fmt: skip
    except (RemoteEntryNotFoundError, RepositoryNotFoundError) as exc:
        raise EngineUnavailable(
            f"{repo_id}/{filename} is not on the Hub", hint="check the model name"
        ) from exc
    except Exception as exc:  # offline with nothing cached, a proxy, an HTTP error
        raise EngineUnavailable(
            f"could not download {repo_id}/{filename}: {type(exc).__name__}: {exc}", hint=HINT
        ) from exc
    _check_against_etag(path, repo_id, filename)
    return path


def _check_against_etag(path: Path, repo_id: str, filename: str) -> None:
    """The cache names an LFS blob by its sha256: the content must have that hash."""
    blob = path.resolve()
    if not _SHA256.match(blob.name):
        return  # a small git-tracked file, named by its git hash: nothing pinned to check
    found = sha256_of([blob])
    if found != blob.name:
        blob.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise EngineUnavailable(
            f"{repo_id}/{filename} failed its checksum after download (sha256 {found[:12]}…, "
            f"the Hub said {blob.name[:12]}…); it was removed",
            hint="start again to download it anew",
        )


def _fetch_optional(repo_id: str, filename: str, cache_dir: Path) -> Path | None:
    try:
        return fetch(repo_id, filename, cache_dir)
    except EngineUnavailable as missing:
        if "is not on the Hub" in str(missing):
            return None
        raise


def whisper_folder(name: str, cache_dir: Path) -> Path:
    """A CTranslate2 Whisper model folder for a faster-whisper name or a repo id."""
    repo = whisper_repo(name)
    folder = None
    for filename in _WHISPER_REQUIRED:
        folder = fetch(repo, filename, cache_dir).parent
    if not any(_fetch_optional(repo, f, cache_dir) for f in _WHISPER_VOCABULARY):
        raise EngineUnavailable(f"{repo} has no vocabulary file", hint="check the model name")
    for filename in _WHISPER_OPTIONAL:
        _fetch_optional(repo, filename, cache_dir)
    assert folder is not None
    return folder


def gguf_file(reference: str, cache_dir: Path) -> Path:
    """`owner/repo/path/file.gguf` → the downloaded file."""
    owner, repo, filename = reference.split("/", 2)
    return fetch(f"{owner}/{repo}", filename, cache_dir)


def piper_voice(name: str, cache_dir: Path) -> tuple[Path, Path]:
    """A Piper voice by name (`fr_FR-siwis-medium`) → its .onnx and .onnx.json."""
    match = _PIPER_NAME.match(name)
    if match is None:
        raise EngineUnavailable(
            f"{name!r} is not a Piper voice name",
            hint="voice names look like fr_FR-siwis-medium (language_REGION-speaker-quality)",
        )
    lang, region = match["lang"], match["region"]
    folder = f"{lang}/{lang}_{region}/{match['speaker']}/{match['quality']}"
    model = fetch(PIPER_REPO, f"{folder}/{name}.onnx", cache_dir)
    config = fetch(PIPER_REPO, f"{folder}/{name}.onnx.json", cache_dir)
    return model, config
