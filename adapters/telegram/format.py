"""Model Markdown → Telegram HTML, and Telegram's length limits.

HTML is used rather than MarkdownV2 because only three characters need escaping, so a
reply can never fail to parse because of an unescaped `.` or `!`. Unmatched markers stay
literal text. Lengths are counted in UTF-16 code units, as Telegram counts them;
where to cut a long text is `adapters.text`'s job.
"""

from __future__ import annotations

import html
import re

from adapters.text import chunk_text, utf16_len

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_CODE_BLOCK = re.compile(r"```([\w+#.-]*)[ \t]*\n?(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_INLINE_RULES = (
    (re.compile(r"^([ \t]*)[*+-][ \t]+", re.MULTILINE), "\\1• "),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL), r"<b>\1</b>"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.DOTALL), r"<s>\1</s>"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"), r"<i>\1</i>"),
    (re.compile(r"(?<!\w)_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?!\w)"), r"<i>\1</i>"),
    (re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", re.MULTILINE), r"<b>\1</b>"),
)
_TAG = re.compile(r"<(/?)(b|i|s)>")


def escape_html(text: str) -> str:
    """Escape the three characters Telegram's HTML parser treats as markup."""
    return html.escape(text, quote=False)


def to_html(markdown: str) -> str:
    """Render the Markdown a chat model writes as Telegram HTML."""
    parts: list[str] = []
    position = 0
    for block in _CODE_BLOCK.finditer(markdown):
        parts.append(_inline(markdown[position : block.start()]))
        language, code = block.group(1), escape_html(block.group(2).rstrip("\n"))
        attr = f' class="language-{language}"' if language else ""
        parts.append(f"<pre><code{attr}>{code}</code></pre>")
        position = block.end()
    parts.append(_inline(markdown[position:]))
    return "".join(parts)


def _inline(text: str) -> str:
    """Inline code and links first (their insides are not Markdown), then emphasis."""
    out: list[str] = []
    position = 0
    for match in _INLINE_CODE.finditer(text):
        out.append(_emphasis(text[position : match.start()]))
        out.append(f"<code>{escape_html(match.group(1))}</code>")
        position = match.end()
    out.append(_emphasis(text[position:]))
    return "".join(out)


def _emphasis(text: str) -> str:
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        href = html.escape(match.group(2), quote=True)
        links.append(f'<a href="{href}">{escape_html(match.group(1))}</a>')
        return f"\x00{len(links) - 1}\x00"

    plain = escape_html(_LINK.sub(keep_link, text))
    rendered = plain
    for pattern, replacement in _INLINE_RULES:
        rendered = pattern.sub(replacement, rendered)
    if not _balanced(rendered):  # markers that overlap (e.g. ***x***): keep them as typed
        rendered = plain
    return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], rendered)


def _balanced(markup: str) -> bool:
    stack: list[str] = []
    for closing, tag in _TAG.findall(markup):
        if not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            return False
    return not stack


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Telegram-sized chunks: at most `limit` UTF-16 units each, fences kept balanced."""
    return chunk_text(text, limit, measure=utf16_len)


def visible_len(markdown: str) -> int:
    """Length after Telegram parses the HTML we render (what its limits count)."""
    return utf16_len(html.unescape(re.sub(r"<[^>]+>", "", to_html(markdown))))
