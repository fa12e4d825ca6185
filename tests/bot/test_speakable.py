"""Said, not read out: markdown, code, tables, links and lists as speakable text."""

from __future__ import annotations

import pytest

from bot.speakable import CODE_NOTE, SpokenText, speakable

ANSWER = """# Pasta

Here is **how** to cook it, see [the guide](https://example.com/x) or https://www.bbc.co.uk/food.

- Boil water
- Add salt

| step | time |
|---|---|
| boil | 10 min |

```python
print("never read out")
```
Done!"""
SAID = ("Pasta. Here is how to cook it, see the guide or a link to bbc.co.uk. Boil water. "
        f"Add salt. step, time. boil, 10 min. {CODE_NOTE} Done!")


def test_markdown_becomes_plain_sentences() -> None:
    assert speakable(ANSWER) == SAID
    assert speakable("1. First\n2. Second") == "First. Second."
    assert speakable("Plain words stay as they are.") == "Plain words stay as they are."


@pytest.mark.parametrize("size", [1, 2, 5, 17])
def test_streamed_markdown_is_said_the_same_way(size: int) -> None:
    spoken = SpokenText()
    said = [spoken.feed(ANSWER[i : i + size]) for i in range(0, len(ANSWER), size)]
    said.append(spoken.close())
    assert " ".join(p for p in said if p) == SAID


def test_an_unclosed_code_block_is_still_mentioned_once() -> None:
    spoken = SpokenText()
    assert spoken.feed("Try this:\n```\nx = 1\n") == "Try this: " + CODE_NOTE
    assert spoken.close() == ""
