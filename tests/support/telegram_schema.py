"""Checks a payload against the types in the official Bot API spec (api.json).

Hand-written payloads drift from what Telegram sends; this finds fields the spec does
not have, required fields that are missing and values of the wrong type, so the
recorded updates keep the current schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_ARRAY = "Array of "
_SCALARS: dict[str, tuple[type, ...]] = {
    "Integer": (int,),
    "Float": (int, float),
    "String": (str,),
    "Boolean": (bool,),
    "True": (bool,),
}


class BotApiTypes:
    def __init__(self, spec_path: Path) -> None:
        self.types: dict[str, Any] = json.loads(spec_path.read_text())["types"]

    def problems(self, value: Any, type_name: str, where: str = "") -> list[str]:
        """Everything in `value` that the spec's `type_name` does not allow; [] if valid."""
        if type_name.startswith(_ARRAY):
            if not isinstance(value, list):
                return [f"{where}: not an array"]
            item = type_name.removeprefix(_ARRAY)
            return [p for i, v in enumerate(value) for p in self.problems(v, item, f"{where}[{i}]")]
        if type_name in _SCALARS:
            wanted = _SCALARS[type_name]
            is_bool = isinstance(value, bool)  # a bool is an int to Python, not to the spec
            wrong = not isinstance(value, wanted) or (is_bool and bool not in wanted)
            return [f"{where}: {value!r} is not {type_name}"] if wrong else []
        return self._object(value, type_name, where)

    def _object(self, value: Any, type_name: str, where: str) -> list[str]:
        spec = self.types[type_name]
        if "subtypes" in spec:  # one of several shapes: fine if any of them fits
            return _fewest([self.problems(value, sub, where) for sub in spec["subtypes"]])
        if not isinstance(value, dict):
            return [f"{where}: not a {type_name} object"]
        fields = {f["name"]: f for f in spec.get("fields", [])}
        found = [f"{where}.{k}: not a field of {type_name}" for k in value if k not in fields]
        for name, field in fields.items():
            if name not in value:
                if field["required"]:
                    found.append(f"{where}.{name}: required by {type_name}, missing")
                continue
            found += _fewest(
                [self.problems(value[name], t, f"{where}.{name}") for t in field["types"]]
            )
        return found


def _fewest(attempts: list[list[str]]) -> list[str]:
    """Of the ways a value was read (one per allowed type), the one that fits best."""
    return min(attempts, key=lambda problems: len(problems))
