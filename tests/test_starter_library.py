"""The shipped starter library: six complete articles in every shipped language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kiosk.content.markdown import plain_text
from kiosk.languages import LANGUAGES

from .conftest import CONTENT, SHIPPED_TAGS, SLUGS


def split(path: Path) -> tuple[dict, str]:
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def structure(body: str) -> dict:
    return {
        "sections": len(re.findall(r"^## ", body, re.M)),
        "care": len(re.findall(r"^::: care$", body, re.M)),
        "list_items": len(re.findall(r"^- ", body, re.M)),
    }


def test_the_library_has_exactly_the_six_articles(shipped_library):
    assert sorted(shipped_library.articles) == sorted(SLUGS)
    assert not shipped_library.problems


@pytest.mark.parametrize("slug", SLUGS)
def test_source_article_is_300_to_700_words(shipped_library, slug):
    article = shipped_library.articles[slug]
    assert article.source_language == "en"
    assert 300 <= article.source.word_count <= 700


@pytest.mark.parametrize("slug", SLUGS)
def test_source_article_has_every_required_part(slug):
    meta, body = split(CONTENT / "articles" / slug / "en.md")
    assert {"title", "summary", "topics", "revision", "attribution", "licence"} <= meta.keys()
    assert meta["licence"] == "CC BY 4.0"
    parts = structure(body)
    assert parts["sections"] >= 3
    assert parts["care"] == 1
    assert parts["list_items"] >= 3
    last_section = body.rsplit("\n## ", 1)[1]
    assert last_section.startswith("Where to go from here")
    assert "ask the staff here about local services" in last_section.lower()
    assert "http" not in body and "<" not in body


@pytest.mark.parametrize("tag", [t for t in SHIPPED_TAGS if t != "en"])
@pytest.mark.parametrize("slug", SLUGS)
def test_every_translation_is_complete_and_honest(shipped_library, slug, tag):
    meta, body = split(CONTENT / "articles" / slug / f"{tag}.md")
    assert set(meta) == {"title", "summary", "translated_from", "reviewed", "attribution"}
    assert meta["attribution"].startswith("© 2026") and "The Reading Kiosk" in meta["attribution"]
    assert isinstance(meta["reviewed"], bool)
    assert meta["translated_from"] == shipped_library.articles[slug].revision
    _, source_body = split(CONTENT / "articles" / slug / "en.md")
    assert structure(body) == structure(source_body)
    version = shipped_library.articles[slug].versions[tag]
    assert version.title and version.summary and version.title != shipped_library.articles[slug].source.title


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_every_topic_is_named_in_every_language(shipped_library, tag):
    for topic in shipped_library.topics.values():
        assert tag in topic.names


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
@pytest.mark.parametrize("slug", SLUGS)
def test_each_article_is_reachable_from_its_topics(client, shipped_library, slug, tag):
    for topic in shipped_library.articles[slug].topics:
        text = client.get(f"/{tag}/topics/{topic}").get_data(as_text=True)
        assert f'href="/{tag}/articles/{slug}"' in text


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.tag)
def test_each_language_has_a_glossary_for_translators(language):
    glossary = CONTENT / "glossary" / f"{language.tag}.md"
    assert glossary.is_file()
    assert glossary.read_text(encoding="utf-8").count("\n- ") >= 15


def test_the_intimacy_article_covers_the_brief(shipped_library):
    text = plain_text(shipped_library.articles["intimacy"].source.html).lower()
    # Said in plain words since the rewrite of issue 21: consent (was "consensual"), a relationship
    # of more than two partners (was "polyamorous").
    for idea in ("trust", "sex is one way", "boundar", "abuse", "everyone's consent", "good home", "bus",
                 "more than two partners", "lucky socks", "praying", "asking for help"):
        assert idea in text, idea
