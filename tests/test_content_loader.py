"""Loading and validating a content folder: every broken file is reported with its place and skipped."""

from __future__ import annotations

import os
import pickle
import shutil

import pytest

from kiosk.content.loader import ContentFolderError, load_library
from kiosk.content.model import TranslationState

from .conftest import CONTENT, FIXTURES

MIXED = FIXTURES / "mixed"


@pytest.fixture(scope="module")
def mixed():
    return load_library(MIXED)


def problem_lines(library):
    return [str(problem) for problem in library.problems]


@pytest.mark.parametrize("where, message", [
    ("bad-yaml/en.md:4", "not valid YAML"),
    ("missing-field/en.md:1", "missing required field 'summary'"),
    ("unknown-topic/en.md:4", "unknown topic 'gardening'"),
    ("raw-script/en.md:12", "raw HTML is not allowed"),
    ("odd-language/xx.md", "unknown language 'xx'"),
    ("two-sources", "en and es both carry 'revision'"),
    ("no-source", "no readable file carries 'revision'"),
    ("future-translation/fr.md:4", "translated from revision 5, but the source is only at revision 1"),
    ("Bad_Slug", "lower-case letters"),
    ("topics.yaml:5", "topic 'unnamed' is named in no language"),
])
def test_each_kind_of_broken_file_is_reported_with_file_and_line(mixed, where, message):
    assert any(where in line and message in line for line in problem_lines(mixed)), problem_lines(mixed)


def test_valid_articles_are_served_beside_broken_ones(mixed):
    assert set(mixed.articles) == {"good", "odd-language", "future-translation"}


@pytest.mark.parametrize("slug", ["bad-yaml", "missing-field", "unknown-topic", "raw-script",
                                  "two-sources", "no-source", "Bad_Slug"])
def test_broken_articles_are_not_served(mixed, slug):
    assert slug not in mixed.articles


def test_a_broken_translation_does_not_sink_its_article(mixed):
    article = mixed.articles["future-translation"]
    assert set(article.versions) == {"en"}
    assert article.state_in("fr") is TranslationState.MISSING


def test_translation_states_follow_revisions(mixed):
    article = mixed.articles["good"]
    assert article.state_in("en") is TranslationState.SOURCE
    assert article.state_in("es") is TranslationState.OUTDATED
    assert article.state_in("ar") is TranslationState.UNREVIEWED
    assert article.needs_fluent_check("ar") and not article.needs_fluent_check("es") and not article.needs_fluent_check("en")
    assert article.state_in("fr") is TranslationState.MISSING
    assert article.version_for("fr").language == "en"
    assert article.versions["es"].reviewed is True
    assert article.versions["ar"].reviewed is False


def test_loaded_content_is_immutable(mixed):
    article = mixed.articles["good"]
    with pytest.raises(TypeError):
        mixed.articles["new"] = article
    with pytest.raises(AttributeError):
        article.revision = 9


def test_web_links_become_unfollowable_text_with_a_marker(mixed):
    version = mixed.articles["good"].source
    assert version.web_links == ("https://example.org/rest-guide",)
    assert "<a " not in version.html and "href" not in version.html
    assert '<span class="offsite-link">guide to rest</span><sup class="offsite-marker">1</sup>' in version.html


def test_care_aside_is_rendered_as_a_note(mixed):
    assert '<aside class="care" role="note">' in mixed.articles["good"].source.html


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ContentFolderError, match="does not exist"):
        load_library(tmp_path / "nowhere")


def test_missing_topics_file_is_reported_and_the_articles_are_still_served(tmp_path):
    shutil.copytree(MIXED / "articles" / "good", tmp_path / "articles" / "good")
    library = load_library(tmp_path)
    assert any("topics.yaml is missing" in line for line in problem_lines(library))
    assert set(library.articles) == {"good"} and not library.topics


def test_unknown_front_matter_field_is_a_warning_and_the_file_still_serves(tmp_path):
    shutil.copytree(MIXED, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "articles" / "good" / "en.md"
    path.write_text(path.read_text().replace("revision: 3", "revision: 3\ntitel: typo"))
    library = load_library(tmp_path)
    assert "good" in library.articles
    assert any("good/en.md:6: warning: unknown field 'titel'" in line for line in problem_lines(library))


def test_non_utf8_file_is_reported(tmp_path):
    shutil.copytree(MIXED, tmp_path, dirs_exist_ok=True)
    (tmp_path / "articles" / "good" / "fr.md").write_bytes(b"---\ntitle: \xff\xfe\n---\n")
    library = load_library(tmp_path)
    assert any("good/fr.md: error: not UTF-8" in line for line in problem_lines(library))
    assert "good" in library.articles


def test_content_check_command_lists_every_problem_and_fails(runner):
    result = runner.invoke(args=["content", "check", str(MIXED)])
    assert result.exit_code == 1
    assert "raw-script/en.md:12" in result.output
    assert "14 errors, 0 warnings, 4 notes." in result.output


def test_content_check_passes_on_the_shipped_library(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings, 0 notes." in result.output


def test_content_check_on_a_missing_folder_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["content", "check", str(tmp_path / "nowhere")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_workers_are_given_few_folders_at_a_time_so_each_message_back_stays_small():
    # A chunk's parsed articles come back as one message, read under the scrubbing allocator at a cost
    # that grows with the square of its size: 625 folders (44 MiB) a chunk at 10,000 articles took seconds.
    from kiosk.content.loader import PARALLEL_FROM, _chunk_size, _load_folder

    one_article = len(pickle.dumps(_load_folder(CONTENT / "articles" / "consent", None)))  # in twelve languages
    cores = os.cpu_count() or 1
    for folders in (PARALLEL_FROM, 1_000, 10_000, 100_000):
        size = _chunk_size(folders)
        assert size * one_article <= 1 << 20
        assert folders // size >= min(folders, 8 * cores)  # still enough chunks to keep every worker busy
