"""The 1000 ImageNet class names, read from the data files that ship with `timm`.

timm is installed with `--no-deps` and never imported: importing it pulls
torchvision, which does not match our pinned CPU torch. We only read its
synset list and lemma table, located through `importlib.util.find_spec`.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from bot.errors import EngineUnavailable

HINT = "pip install --no-deps timm (for the ImageNet class names)"


def _info_dir() -> Path:
    spec = importlib.util.find_spec("timm")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        info = Path(folder) / "data" / "_info"
        if (info / "imagenet_synsets.txt").is_file():
            return info
    raise EngineUnavailable("the ImageNet class names are missing", hint=HINT)


@cache
def imagenet_labels() -> tuple[str, ...]:
    """Class index → a short readable name ("espresso", "tabby cat"...)."""
    info = _info_dir()
    synsets = (info / "imagenet_synsets.txt").read_text().split()
    lemmas: dict[str, str] = {}
    for line in (info / "imagenet_synset_to_lemma.txt").read_text().splitlines():
        synset, _, names = line.partition("\t")
        lemmas[synset] = names.split(",")[0].strip()
    if len(synsets) != 1000:
        raise EngineUnavailable(
            f"expected 1000 ImageNet classes, found {len(synsets)}", hint=HINT
        )
    return tuple(lemmas.get(s, s) for s in synsets)
