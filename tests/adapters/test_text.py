"""The one splitter both channels use: boundaries best first, the limit as measured, fences."""

from __future__ import annotations

import random
import re

import pytest

from adapters.text import FENCE, Measure, chunk_text, utf16_len

LIMIT = 100


def _words(text: str) -> list[str]:
    return text.replace(FENCE, " ").split()


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("A" * 40 + ". " + "b " * 10 + "\n\n" + "c " * 60, "A" * 40 + ". " + "b " * 10),
        ("A" * 40 + ". " + "b " * 10 + "\n" + "c " * 60, "A" * 40 + ". " + "b " * 10),
        ("a " * 20 + "end here. " + "b " * 60, "a " * 20 + "end here."),
        ("a " * 30 + "word" + "b" * 80, "a " * 30),
    ],
    ids=["paragraph", "line", "sentence", "word"],
)
def test_best_boundary_first(text: str, first: str) -> None:
    """Each case has a weaker boundary later in the window (a hard cut for words): it loses."""
    chunks = chunk_text(text, LIMIT)
    assert chunks[0] == first.strip()
    assert _words(" ".join(chunks)) == _words(text)


def test_a_boundary_in_the_first_half_is_too_early() -> None:
    text = "short.\n\n" + "x" * 200
    assert [len(c) for c in chunk_text(text, LIMIT)] == [96, 96, 16]


def test_no_boundary_cuts_hard_and_keeps_everything() -> None:
    text = "x" * 250
    chunks = chunk_text(text, LIMIT)
    assert [len(c) for c in chunks] == [96, 96, 58] and "".join(chunks) == text


@pytest.mark.parametrize(("measure", "sizes"), [(len, [96, 54]), (utf16_len, [48, 48, 48, 6])])
def test_the_limit_is_counted_by_the_measure(measure: Measure, sizes: list[int]) -> None:
    text = "😀" * 150  # one character, two UTF-16 units
    chunks = chunk_text(text, LIMIT, measure=measure)
    assert [len(c) for c in chunks] == sizes and "".join(chunks) == text


def test_utf16_len() -> None:
    assert (utf16_len("abc"), utf16_len("é"), utf16_len("😀"), utf16_len("")) == (3, 1, 2, 0)


def test_a_cut_fence_is_closed_and_reopened() -> None:
    text = "Here is code:\n\n" + FENCE + "\n" + "x = 1\n" * 40 + FENCE + "\n\nDone."
    chunks = chunk_text(text, LIMIT)
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.count(FENCE) % 2 == 0 and len(chunk) <= LIMIT
    assert chunks[1].startswith(FENCE + "\n") and chunks[0].endswith("\n" + FENCE)
    assert _words(" ".join(chunks)) == _words(text)


def test_a_hard_cut_never_splits_a_fence() -> None:
    text = "x" * 94 + FENCE + "y" * 50  # the hard cut at 96 falls inside the backticks
    chunks = chunk_text(text, LIMIT)
    assert chunks == ["x" * 94, FENCE + "y" * 50]


def test_blank_is_no_chunk_and_short_text_one() -> None:
    assert chunk_text(" \n\t ", LIMIT) == []
    assert chunk_text("  hello \n", LIMIT) == ["hello"]


def test_a_limit_without_room_for_fences_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        chunk_text("some text", 8)


@pytest.mark.parametrize("measure", [len, utf16_len])
@pytest.mark.parametrize("seed", range(20))
def test_random_texts_fit_lose_nothing_and_balance_fences(measure: Measure, seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["word", "😀", "é", ". ", "\n", "\n\n", " ", FENCE, "x" * 30, "!» "]
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(50, 400)))
    limit = rng.randint(20, 120)
    chunks = chunk_text(text, limit, measure=measure)
    assert all(measure(c) <= limit for c in chunks)
    assert all(c == c.strip() and c for c in chunks)
    assert re.sub(r"\s|`", "", "".join(chunks)) == re.sub(r"\s|`", "", text)
    if text.count(FENCE) % 2 == 0:
        assert all(c.count(FENCE) % 2 == 0 for c in chunks)
