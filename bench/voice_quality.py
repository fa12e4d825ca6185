"""Eight plain questions an assistant should answer, graded by keyword checks.

A fact, arithmetic, who it is, a question in French (answered in French), a follow-up about
a photo (as the pipeline describes one to the model), a recipe, an explanation for a
five-year-old, and a translation. Keyword checks are crude but honest: an answer passes
when it contains what any right answer must say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.textlang import TextLanguages


@dataclass(frozen=True)
class Question:
    name: str
    turns: tuple[tuple[str, str], ...]
    needs: tuple[tuple[str, ...], ...]  # every group must have one word in the answer
    language: str | None = None  # the answer must be written in it


PHOTO = ('[I sent a photo. Most likely objects: menu (41%). Text in it: "Fresh pesto 4.50 EUR '
         'Focaccia 3.20 EUR"]\nWhat does the sign say?')

QUESTIONS = (
    Question("fact", (("user", "What is the capital of Japan?"),), (("tokyo",),)),
    Question("arithmetic", (("user", "What is 12 times 7?"),), (("84",),)),
    Question("who are you", (("user", "Who are you?"),), (("omnivox",),)),
    Question("french", (("user", "Quelle est la capitale de l'Italie ?"),), (("rome",),), "fr"),
    Question("photo follow-up", (("user", PHOTO), ("assistant", "It lists fresh pesto and "
             "focaccia with their prices."), ("user", "How much is the pesto?")),
             (("4.50", "4,50", "4.5 "),)),
    Question("recipe", (("user", "Give me a simple recipe for pancakes."),),
             (("flour",), ("egg", "eggs"), ("milk",))),
    Question("five-year-old", (("user", "Explain to a five-year-old why the sky is blue."),),
             (("sun", "sunlight", "light"), ("blue",))),
    Question("translation", (("user", "Translate 'good morning, my friend' into Spanish."),),
             (("buenos días", "buenos dias"), ("amigo",))),
)

_detector = TextLanguages()


def grade(question: Question, answer: str) -> bool:
    plain = re.sub(r"\s+", " ", answer.lower()) + " "
    if not all(any(word in plain for word in group) for group in question.needs):
        return False
    return question.language is None or _detector.detect_sync(answer) == question.language
