"""How hard the English articles are to read, for ``content check``.

Each English source article gets a grade on the New Dale-Chall formula
(``new-dale-chall-readability``, which ships its list of about 3,000 familiar
words inside the package, so it works offline): the share of words not on the
list and the mean sentence length give a cloze score (higher is easier) and a
school grade. Counting unfamiliar words, not only syllables or sentence length,
is what catches idioms and abstract words. Every sentence over
``LONGEST_SENTENCE`` words is a warning with its file and line.

Only English is graded: the word list is English.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path

from new_dale_chall_readability import ReadingLevel, cloze_score, reading_level
from new_dale_chall_readability.utils import pct_unfamiliar_words

from .loader import read_body
from .markdown import text_blocks
from .model import Library, Problem, Severity

GRADED_LANGUAGE = "en"
LONGEST_SENTENCE = 20
"""Words a sentence may have before ``content check`` warns (plain-language guidance for grade 5 readers)."""
READING_LEVELS: tuple[str, ...] = typing.get_args(ReadingLevel)
"""The formula's grades, easiest first ("1" ... "16+")."""

# A sentence ends at . ! or ?, perhaps followed by a closing quotation mark or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”’)])\s+")
# What the formula is given is words and full stops only: its tokenizer strips just . , ( ) and "
# from a word, so "okay?" or "happen:" would be counted as unfamiliar words.
_NOT_A_WORD = re.compile(r"[^\w'\-\s]+")


@dataclass(frozen=True)
class Readability:
    """How hard one English article is to read."""

    path: Path
    grade: str
    """The New Dale-Chall grade, one of ``READING_LEVELS``."""
    cloze: float
    """The formula's cloze score: higher is easier (grade 4 is 45 to 49)."""
    unfamiliar: float
    """The share of words not on the familiar-word list, 0 to 1."""
    long_sentences: tuple[Problem, ...]
    """A warning for each sentence over ``LONGEST_SENTENCE`` words."""

    def __str__(self) -> str:
        return (f"{self.path}: readability: grade {self.grade} on the New Dale-Chall formula "
                f"(cloze score {self.cloze:.2f}, {self.unfamiliar:.1%} of words unfamiliar)")


def sentences(text: str) -> list[str]:
    """``text`` (one paragraph, heading or list item) cut into sentences."""
    return [sentence for sentence in _SENTENCE_END.split(text.strip()) if sentence]


def grade_file(path: Path) -> Readability:
    """The readability of one English Markdown article file."""
    body, first_line = read_body(path)
    plain: list[str] = []
    long_sentences: list[Problem] = []
    for line, block in text_blocks(body):
        for sentence in sentences(block):
            words = sentence.split()
            if len(words) > LONGEST_SENTENCE:
                long_sentences.append(Problem(
                    path, first_line + line - 1,
                    f"sentence of {len(words)} words (plain English keeps to {LONGEST_SENTENCE}): "
                    f"\"{' '.join(words[:8])} ...\"", Severity.WARNING))
            # Headings and list items count as sentences of their own, as they are read.
            plain.append(" ".join(_NOT_A_WORD.sub(" ", sentence.replace("’", "'")).split()) + ".")
    text = " ".join(plain)
    return Readability(path, reading_level(text), cloze_score(text), pct_unfamiliar_words(text),
                       tuple(long_sentences))


def readability_report(library: Library) -> list[Readability]:
    """The readability of every article whose source is English, in slug order."""
    return [grade_file(article.source.path)
            for article in sorted(library.articles.values(), key=lambda a: a.slug)
            if article.source_language == GRADED_LANGUAGE]
