"""Text as it should be said, not read out: markdown, code, tables, links and lists.

A voice reading "asterisk asterisk" or a URL letter by letter is worse than silence, so
before synthesis: emphasis marks go, headings and list items become sentences, a code
block becomes one short line saying it is in the text, a table is said row by row, and a
link is said by its label or its site's name. `SpokenText` does the same to text that
is still being written: it only lets through what cannot change any more (a code block
is held until it closes).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

CODE_NOTE = "There is a code example in the text."
_FENCE = re.compile(r"^\s*(```|~~~)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\]]*[^\s<>()\].,;:!?'\"]")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_INLINE_CODE = re.compile(r"`([^`]*)`")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s*>+\s?")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LEFTOVER = re.compile(r"[*_#|`<>]+")
_STRUCTURE = re.compile(r"[|`~#>\-*+•]|\d{1,3}[.)]")
_END = re.compile(r"[.!?。！？…:;]$")


def _site(url: str) -> str:
    host = urlparse(url if "://" in url else f"http://{url}").hostname or url
    return host.removeprefix("www.")


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1) or f"a link to {_site(m.group(2))}", text)
    text = _URL.sub(lambda m: f"a link to {_site(m.group(0))}", text)
    text = _INLINE_CODE.sub(lambda m: m.group(1), text)
    text = _EMPHASIS.sub(lambda m: m.group(2), text)
    text = _LEFTOVER.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _sentence(line: str) -> str:
    """A list item or heading said as a sentence of its own."""
    return line if not line or _END.search(line) else line + "."


def _table_row(line: str) -> str:
    cells = [_inline(c) for c in line.strip().strip("|").split("|")]
    return _sentence(", ".join(c for c in cells if c))


def speak_lines(lines: list[str]) -> str:
    """Complete lines of markdown (no open code block) as plain speakable text."""
    out: list[str] = []
    for raw in lines:
        if _RULE.match(raw) or _TABLE_RULE.match(raw):
            continue
        if raw.strip().startswith("|") and raw.count("|") >= 2:
            out.append(_table_row(raw))
            continue
        structural = bool(_HEADING.match(raw) or _BULLET.match(raw))
        line = _inline(_QUOTE.sub("", _BULLET.sub("", _HEADING.sub("", raw))))
        if line:
            out.append(_sentence(line) if structural else line)
    return " ".join(out)


def speakable(text: str) -> str:
    """The whole of a finished answer as it should be said."""
    spoken = SpokenText()
    return " ".join(p for p in (spoken.feed(text), spoken.close()) if p)


class SpokenText:
    """Markdown arriving in pieces → speakable text, as soon as it can no longer change.

    `feed` returns what became final (complete lines; the open last line is held back
    only as long as it might still be a table row or a fence); `close` the rest.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._in_code = False
        self._said_code = False

    def feed(self, piece: str) -> str:
        self._pending += piece
        *complete, self._pending = self._pending.split("\n")
        said = self._lines(complete)
        head = self._pending.lstrip()
        if not self._in_code and len(head) > 3 and not _STRUCTURE.match(head):
            # an unfinished line of prose: its finished sentences are the caller's to cut
            said = " ".join(p for p in (said, self._prose_so_far()) if p)
        return said

    def _prose_so_far(self) -> str:
        """Prose of the open line up to its last space (a word may still be growing)."""
        cut = max(self._pending.rfind(" "), *(self._pending.rfind(m) + 1 for m in "。！？"))
        ready = self._pending[:cut]
        if cut <= 0 or _open_markup(ready):
            return ""
        self._pending = self._pending[cut:]
        return _inline(ready)

    def close(self) -> str:
        rest, self._pending = self._pending, ""
        said = self._lines([rest]) if rest.strip() else ""
        if self._in_code and not self._said_code:
            said = " ".join(p for p in (said, CODE_NOTE) if p)
        return said

    def _lines(self, lines: list[str]) -> str:
        prose: list[str] = []
        spoken: list[str] = []
        for line in lines:
            if _FENCE.match(line):
                if not self._in_code:
                    spoken.append(speak_lines(prose))
                    prose = []
                    if not self._said_code:
                        spoken.append(CODE_NOTE)
                        self._said_code = True
                self._in_code = not self._in_code
                continue
            if not self._in_code:
                prose.append(line)
        spoken.append(speak_lines(prose))
        return " ".join(p for p in spoken if p)


def _open_markup(text: str) -> bool:
    """Inline code, emphasis or a link still open: wait until it closes."""
    return bool(text.count("`") % 2 or text.count("**") % 2
                or text.count("[") > text.count(")"))
