"""The translation status report, and how a source revision flows through to readers."""

from __future__ import annotations

import re
import shutil

import pytest

from kiosk.content.loader import load_library
from kiosk.content.model import TranslationState
from kiosk.content.status import format_report, status_report

from .conftest import CONTENT, FIXTURES, SHIPPED_TAGS


def test_status_of_the_fixture_library():
    report = status_report(load_library(FIXTURES / "mixed"), ["en", "es", "fr", "ar"])
    good = next(row for row in report.rows if row.slug == "good")
    assert {tag: state.value for tag, state in good.cells} == {
        "en": "source", "es": "outdated", "fr": "missing", "ar": "unreviewed"}
    assert report.totals[TranslationState.MISSING] == 7
    assert set(report.totals) == set(TranslationState)


def test_a_checked_current_translation_is_reviewed(tmp_path):
    shutil.copytree(FIXTURES / "mixed", tmp_path, dirs_exist_ok=True)
    path = tmp_path / "articles" / "good" / "ar.md"
    path.write_text(path.read_text(encoding="utf-8").replace("reviewed: false", "reviewed: true"), encoding="utf-8")
    report = status_report(load_library(tmp_path), ["ar"])
    assert dict(next(row for row in report.rows if row.slug == "good").cells) == {"ar": TranslationState.REVIEWED}


def test_status_command_prints_the_table_and_totals(runner):
    result = runner.invoke(args=["content", "status"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["article", *SHIPPED_TAGS]
    assert any(line.startswith("intimacy") and "source" in line for line in lines)
    assert "totals: source 6" in result.output


def test_status_command_exits_zero_even_with_problems(runner):
    result = runner.invoke(args=["content", "status", str(FIXTURES / "mixed")])
    assert result.exit_code == 0
    assert "outdated" in result.output
    assert "14 content errors" in result.output


def test_format_report_lines_up_columns():
    report = status_report(load_library(FIXTURES / "mixed"), ["en", "es"])
    lines = format_report(report).splitlines()
    assert lines[1].index("source") == lines[0].index("en")


@pytest.fixture
def bumped_content(tmp_path):
    """A copy of the shipped library whose intimacy article moved to a new revision."""
    shutil.copytree(CONTENT, tmp_path / "content")
    source = tmp_path / "content" / "articles" / "intimacy" / "en.md"
    bumped = re.sub(r"^revision: (\d+)$", lambda match: f"revision: {int(match[1]) + 1}",
                    source.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
    source.write_text(bumped, encoding="utf-8")
    return tmp_path / "content"


def test_bumping_the_source_revision_marks_translations_outdated_in_the_report(bumped_content, runner):
    result = runner.invoke(args=["content", "status", str(bumped_content)])
    intimacy = next(line for line in result.output.splitlines() if line.startswith("intimacy"))
    assert intimacy.split()[1:] == ["source"] + ["outdated"] * (len(SHIPPED_TAGS) - 1)
    consent = next(line for line in result.output.splitlines() if line.startswith("consent"))
    assert "outdated" not in consent


@pytest.mark.parametrize("tag", [t for t in SHIPPED_TAGS if t != "en"])
def test_bumping_the_source_revision_shows_an_outdated_notice_on_the_page(bumped_content, make_app, tag):
    client = make_app(content=bumped_content, languages=f"en,{tag}").test_client()
    bumped = client.get(f"/{tag}/articles/intimacy").get_data(as_text=True)
    untouched = client.get(f"/{tag}/articles/consent").get_data(as_text=True)
    assert f'<p class="notice" lang="{tag}"' in bumped
    assert '<p class="notice"' not in untouched


def test_content_check_notes_missing_and_outdated_translations_without_failing(runner, bumped_content):
    result = runner.invoke(args=["content", "check", str(bumped_content)])
    assert result.exit_code == 0
    shipped = load_library(CONTENT).articles["intimacy"]
    assert (f"intimacy/es.md: note: made from revision {shipped.versions['es'].translated_from}, "
            f"the source is at revision {shipped.revision + 1}") in result.output
    assert f"0 errors, 0 warnings, {len(SHIPPED_TAGS) - 1} notes." in result.output  # one per translation


def test_content_check_notes_articles_without_a_translation(runner):
    result = runner.invoke(args=["content", "check", str(FIXTURES / "mixed")])
    assert "articles/good: note: no translation into fr, zh-Hans, uk" in result.output
