"""Recorded Bot API updates, kept as JSON files under tests/adapters/telegram/data/.

Each file is one update as Telegram sends it, named by its variant ("voice",
"group_mention", "callback_feedback"). A test that needs a variation asks for it by
name instead of building a payload: `load("text", text="hi")` sets message.text,
`load("voice", voice__file_size=9)` sets message.voice.file_size; changes apply inside
the update's one payload (message, edited_message, callback_query, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "adapters" / "telegram" / "data"


def load(name: str, **changes: Any) -> dict[str, Any]:
    """The update `name` (a path under DATA without .json) with `changes` applied."""
    update: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    content = body(update)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = content
        for key in parents:
            target = target[key]  # a path that is not in the file is a typo: KeyError
        target[leaf] = value
    return update


def body(update: dict[str, Any]) -> dict[str, Any]:
    """The update's one payload: its message, edited_message, callback_query, ..."""
    (content,) = (value for key, value in update.items() if key != "update_id")
    assert isinstance(content, dict), update
    return content


def names() -> list[str]:
    """Every well-formed recorded update (the ones in malformed/ are not)."""
    return sorted(path.stem for path in DATA.glob("*.json"))
