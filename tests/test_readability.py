"""The readability report of ``content check``: a grade for each English article, and long sentences."""

from __future__ import annotations

import shutil

import pytest

from kiosk.content.loader import load_library
from kiosk.content.readability import (
    LONGEST_SENTENCE,
    READING_LEVELS,
    grade_file,
    sentences,
)

from .conftest import CONTENT, FIXTURES, SLUGS

FRONT_MATTER = """---
title: A test
summary: A test article.
topics: [care]
revision: 1
attribution: "© 2026 Test Publisher."
licence: CC BY 4.0
---
"""
PLAIN = "When you feel sad, it can help to talk to a friend. Tell them what is wrong. Ask them to listen.\n"
HARD = ("When you feel despondent, it can help to confide in a confidant. Articulate what is troubling. "
        "Request attentiveness.\n")


def article(tmp_path, body: str, name: str = "en.md"):
    path = tmp_path / name
    path.write_text(FRONT_MATTER + "\n" + body, encoding="utf-8")
    return path


def words(count: int) -> str:
    return " ".join(["word"] * (count - 1) + ["end."])


@pytest.fixture
def mixed_copy(tmp_path):
    shutil.copytree(FIXTURES / "mixed", tmp_path / "content")
    return tmp_path / "content"


def test_content_check_grades_every_english_article(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    for slug in SLUGS:
        line = next(line for line in result.output.splitlines() if f"articles/{slug}/en.md: readability:" in line)
        assert "grade " in line and "New Dale-Chall" in line


@pytest.mark.parametrize("slug", SLUGS)
def test_no_starter_article_reads_above_grade_6(slug):
    # Grades before the plain-English rewrite of issue 21: intimacy 7-8, healthy-relationships 5-6,
    # the others 4. None may rise, and intimacy now reads like the others.
    grade = grade_file(CONTENT / "articles" / slug / "en.md").grade
    assert READING_LEVELS.index(grade) <= READING_LEVELS.index("5-6"), grade


@pytest.mark.parametrize("slug", SLUGS)
def test_no_starter_sentence_is_over_the_limit(slug):
    assert grade_file(CONTENT / "articles" / slug / "en.md").long_sentences == ()


def test_unfamiliar_words_raise_the_grade_at_the_same_sentence_length(tmp_path):
    plain = grade_file(article(tmp_path, PLAIN, "plain.md"))
    hard = grade_file(article(tmp_path, HARD, "hard.md"))
    assert hard.unfamiliar > plain.unfamiliar
    assert hard.cloze < plain.cloze
    assert READING_LEVELS.index(hard.grade) > READING_LEVELS.index(plain.grade)


def test_punctuation_does_not_make_a_familiar_word_unfamiliar(tmp_path):
    bare = grade_file(article(tmp_path, "Is it the same. We can go home. I want to.\n", "bare.md"))
    marked = grade_file(article(tmp_path, "Is it the same? We can go: home! “I want to.”\n", "marked.md"))
    assert marked.unfamiliar == bare.unfamiliar == 0


def test_a_sentence_over_the_limit_is_a_warning_with_its_file_line(tmp_path):
    body = f"{words(LONGEST_SENTENCE)} {words(3)}\n\n## A heading\n\nShort one. {words(LONGEST_SENTENCE + 1)}\n"
    path = article(tmp_path, body)
    warnings = [str(problem) for problem in grade_file(path).long_sentences]
    expected = (f"{path}:14: warning: sentence of {LONGEST_SENTENCE + 1} words (plain English keeps to "
                f"{LONGEST_SENTENCE}): \"word word word word word word word word ...\"")
    assert warnings == [expected]


def test_headings_and_list_items_are_sentences_of_their_own(tmp_path):
    body = f"## {words(12).rstrip('.')}\n\n- {words(12).rstrip('.')}\n- {words(12).rstrip('.')}\n\n{words(12)}\n"
    assert grade_file(article(tmp_path, body)).long_sentences == ()


@pytest.mark.parametrize("text, expected", [
    ("One. Two!  Three? Four", ["One.", "Two!", "Three?", "Four"]),
    ('You might say, "I need a break." Then come back.', ['You might say, "I need a break."', "Then come back."]),
    ("A list: one, two, three", ["A list: one, two, three"]),
])
def test_sentences_end_at_a_full_stop_question_or_exclamation_mark(text, expected):
    assert sentences(text) == expected


def test_content_check_counts_long_sentences_as_warnings_and_still_passes(runner, mixed_copy):
    good = mixed_copy / "articles" / "good" / "en.md"
    text = good.read_text(encoding="utf-8")
    good.write_text(text + f"\n{words(LONGEST_SENTENCE + 4)}\n", encoding="utf-8")
    result = runner.invoke(args=["content", "check", str(mixed_copy)])
    assert result.exit_code == 1  # the fixture's own errors, not the sentence
    line = len(text.splitlines()) + 2
    assert f"good/en.md:{line}: warning: sentence of {LONGEST_SENTENCE + 4} words" in result.output
    assert "14 errors, 1 warnings, 4 notes." in result.output


def test_only_english_sources_are_graded(runner, mixed_copy):
    good = mixed_copy / "articles" / "good"
    (good / "en.md").unlink()
    source = (good / "es.md").read_text(encoding="utf-8")
    (good / "es.md").write_text(source.replace("translated_from: 2\nreviewed: true", "revision: 3\ntopics: [care]\n"
                                               "licence: CC BY 4.0\nattribution: Test"), encoding="utf-8")
    assert load_library(mixed_copy).articles["good"].source_language == "es"
    result = runner.invoke(args=["content", "check", str(mixed_copy)])
    assert "good/es.md" not in result.output
    assert "readability:" in result.output  # the fixture's other English articles still are
