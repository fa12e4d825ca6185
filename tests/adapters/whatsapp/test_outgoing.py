"""WhatsApp's text limit: 4096 characters (not UTF-16 units), cut on the shared boundaries."""

from __future__ import annotations

from adapters.text import FENCE
from adapters.whatsapp.outgoing import TEXT_LIMIT, split_text


def test_limit_counts_characters() -> None:
    text = "😀" * 5000  # 5000 characters, 10000 UTF-16 units
    chunks = split_text(text)
    assert [len(c) for c in chunks] == [TEXT_LIMIT - 4, 908]
    assert "".join(chunks) == text


def test_paragraph_before_word() -> None:
    first = "First part. " * 200
    text = first + "\n\n" + "second " * 500
    chunks = split_text(text)
    assert chunks[0] == first.strip()
    assert all(len(c) <= TEXT_LIMIT for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_code_fence_is_closed_and_reopened() -> None:
    text = FENCE + "\n" + "print('hello')\n" * 400 + FENCE
    chunks = split_text(text)
    assert len(chunks) == 2
    assert all(c.startswith(FENCE) and c.endswith(FENCE) for c in chunks)


def test_short_and_blank() -> None:
    assert split_text(" ok ") == ["ok"] and split_text("\n") == []
