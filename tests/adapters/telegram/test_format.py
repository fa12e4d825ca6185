"""Markdown → Telegram HTML, and splitting at the 4096-unit limit on good boundaries."""

from __future__ import annotations

import pytest

from adapters.telegram.format import MESSAGE_LIMIT, split_text, to_html, utf16_len, visible_len
from tests.fakes.telegram_server import _TelegramHtml


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("plain words.", "plain words."),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("**bold** and *italic* and _also_", "<b>bold</b> and <i>italic</i> and <i>also</i>"),
        ("~~gone~~", "<s>gone</s>"),
        ("snake_case_name and 2*3*4 and __init__", "snake_case_name and 2*3*4 and __init__"),
        ("use `x<y>` here", "use <code>x&lt;y&gt;</code> here"),
        ("```python\nif a < b:\n    print('*hi*')\n```",
         "<pre><code class=\"language-python\">if a &lt; b:\n    print('*hi*')</code></pre>"),
        ("[docs](https://example.org/a?b=1&c=2)", '<a href="https://example.org/a?b=1&amp;c=2">docs</a>'),
        ("# Heading\ntext", "<b>Heading</b>\ntext"),
        ("* one\n- two", "• one\n• two"),
        ("**unclosed and `tick", "**unclosed and `tick"),
        ("<b>not ours</b>", "&lt;b&gt;not ours&lt;/b&gt;"),
    ],
)  # fmt: skip
def test_to_html(markdown: str, html: str) -> None:
    assert to_html(markdown) == html


@pytest.mark.parametrize(
    "markdown",
    ["**a *b* c**", "*a **b** c*", "`a` **`b`**", "[x **y**](https://e.org)", "a & b; &amp; <tag>",
     "**x\n\ny**", "_a_b_c_", "***three***", "```\nunclosed", "~~**x**~~ ![img](https://e.org/i.png)"],
)  # fmt: skip
def test_rendered_html_always_parses(markdown: str) -> None:
    """Telegram rejects unbalanced or unknown tags; what we render must never be rejected."""
    _TelegramHtml.visible(to_html(markdown))


def test_split_prefers_paragraphs_then_sentences() -> None:
    first = "First paragraph sentence. " * 100
    second = "Second paragraph has words. " * 100
    chunks = split_text(f"{first}\n\n{second}", limit=3000)
    assert chunks[0] == first.strip()
    assert all(utf16_len(c) <= 3000 for c in chunks)
    assert all(c.endswith(".") for c in chunks)


def test_split_long_paragraph_at_a_sentence() -> None:
    text = "This is one sentence that goes on. " * 300
    chunks = split_text(text)
    assert len(chunks) == 3
    assert all(utf16_len(c) <= MESSAGE_LIMIT and c.endswith("on.") for c in chunks)
    assert " ".join(chunks) == text.strip()


def test_split_without_boundaries_cuts_hard_and_keeps_everything() -> None:
    text = "x" * 10000
    chunks = split_text(text)
    assert [len(c) for c in chunks] == [4092, 4092, 1816]
    assert "".join(chunks) == text


def test_split_counts_utf16_units() -> None:
    chunks = split_text("😀" * 5000)  # two UTF-16 units each
    assert all(utf16_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "".join(chunks) == "😀" * 5000


def test_split_closes_and_reopens_a_cut_code_fence() -> None:
    code = "```\n" + "value = compute(1)\n" * 400 + "```"
    chunks = split_text(code)
    assert len(chunks) == 2
    assert all(c.startswith("```") and c.endswith("```") for c in chunks)
    for chunk in chunks:
        assert utf16_len(chunk) <= MESSAGE_LIMIT
        assert to_html(chunk).startswith("<pre><code>")


def test_short_text_is_one_chunk_and_empty_is_none() -> None:
    assert split_text("  hello  ") == ["hello"]
    assert split_text("   ") == []


def test_visible_len_counts_what_telegram_counts() -> None:
    assert visible_len("**ab** <c> [d](https://e.org)") == len("ab <c> d")
