"""The ImageNet class names, read from timm's data files without importing timm."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from bot.engines.vision import imagenet
from bot.errors import EngineUnavailable


def test_a_thousand_readable_names() -> None:
    labels = imagenet.imagenet_labels()
    assert len(labels) == 1000
    assert labels[0] == "tench"
    assert "espresso" in labels
    assert all(name and not name.startswith("n0") for name in labels)


def test_timm_is_not_imported() -> None:
    had = "timm" in sys.modules
    imagenet.imagenet_labels()
    assert ("timm" in sys.modules) == had


def test_missing_timm_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "timm" else real(name, *a))
    with pytest.raises(EngineUnavailable) as caught:
        imagenet._info_dir()
    assert caught.value.hint and "timm" in caught.value.hint
