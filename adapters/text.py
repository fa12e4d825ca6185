"""Long replies cut into messages a platform accepts, each cut at the best boundary.

Channels differ in their limit and in how they count (Telegram counts UTF-16 code units,
WhatsApp characters), so both are parameters; where to cut is the same everywhere: a
paragraph, else a line, else a sentence, else a word, else a hard cut. A code fence the
cut leaves open is closed at the end of one part and reopened at the start of the next,
so each part renders on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Measure = Callable[[str], int]

FENCE = "```"
_RESERVE = len(FENCE) + 1  # room to close a fence the cut leaves open: "\n```"
# Where a chunk may end, best first: paragraph, line, sentence, word.
_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…][)\"'»]*\s"),
    re.compile(r"\s"),
)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: a character outside the BMP (most emoji) counts two."""
    return len(text.encode("utf-16-le")) // 2


def chunk_text(text: str, limit: int, *, measure: Measure = len) -> list[str]:
    """Chunks of at most `limit` units as `measure` counts them; none for blank text.

    `measure` must count every character as at least one unit (len, utf16_len, bytes).
    """
    if limit <= 2 * _RESERVE:
        raise ValueError(f"a limit of {limit} leaves no room to close and reopen a fence")
    chunks: list[str] = []
    rest = text.strip()
    while measure(rest) > limit:
        cut = _cut_point(rest, _fitting(rest, limit - _RESERVE, measure))
        head, rest = rest[:cut].rstrip(), rest[cut:].strip()
        if head.count(FENCE) % 2:
            head, rest = f"{head}\n{FENCE}", f"{FENCE}\n{rest}"
        chunks.append(head)
    if rest:
        chunks.append(rest)
    return chunks


def _fitting(text: str, limit: int, measure: Measure) -> int:
    """The longest prefix (in characters) that measures at most `limit`."""
    low, high = 0, min(len(text), limit)
    if measure(text[:high]) <= limit:
        return high
    while low < high:  # text[:low] fits; text[:high + 1] does not
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _cut_point(text: str, hard_limit: int) -> int:
    """Last good boundary inside the limit; a break in the first half of it is too early.

    Without one the cut is hard, but never inside a run of backticks: half a fence on
    each side would be no fence at all and leave both chunks unbalanced.
    """
    window = text[:hard_limit]
    for pattern in _BREAKS:
        ends = [m.end() for m in pattern.finditer(window)]
        if ends and ends[-1] > hard_limit // 2:
            return ends[-1]
    start = hard_limit
    while start > 0 and text[start - 1] == "`" and text[start : start + 1] == "`":
        start -= 1
    return start if start > 0 else hard_limit
