"""Search: found in every language, forgiving of accents, and safe whatever is typed."""

from __future__ import annotations

import re
import sqlite3
import threading

import pytest

from kiosk.content.search import Card, SearchIndex, match_expression

from .conftest import FIXTURES, SHIPPED_TAGS

HOSTILE_QUERIES = [
    '"', '""', "'", "*", "**", "NEAR(", "NEAR(a b", "a NEAR b", "(((", ")))", "[", "{", "^", "-", "+",
    "AND", "OR NOT", "title:consent", "col:", "x" * 5000, "\x00", "\x01\x02\x1f", "\u202e", "\ud7ff",
    "%", "_", "\\", "'; DROP TABLE passages; --", "consent*\"(", " ", "\t\n",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_an_answer_not_an_error(client, query):
    response = client.get("/en/search", query_string={"q": query})
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_match_expression_only_ever_quotes_words(query):
    expression = match_expression(query)
    if expression is not None:
        for term in expression.split(" AND "):
            assert term.startswith('"') and term.rstrip("*").endswith('"')
            assert '"' not in term.rstrip("*")[1:-1]


def test_a_long_query_is_cut_not_refused(client):
    response = client.get("/en/search", query_string={"q": "trust " * 1000})
    assert response.status_code == 200


def test_nothing_found_is_said_plainly(client):
    text = client.get("/en/search?q=zzzqqqxxx").get_data(as_text=True)
    assert "Nothing found" in text


@pytest.mark.parametrize("lang, word, slug", [
    ("en", "consent", "consent"),
    ("en", "CONSENT", "consent"),
    ("en", "consen", "consent"),
    ("es", "consentimiento", "consent"),
    ("fr", "consentement", "consent"),
    ("uk", "згода", "consent"),
    ("ar", "الموافقة", "consent"),
    ("zh-Hans", "同意", "consent"),
    ("zh-Hans", "边界", "boundaries"),
    ("vi", "thuận", "consent"),
    ("vi", "thuan", "consent"),              # without its diacritics, as most people type it
    ("vi", "đồng thuận", "consent"),
    ("vi", "dong thuan", "consent"),
    ("tl", "pagpayag", "consent"),
    ("pt-BR", "consentimento", "consent"),
    ("pl", "zgoda", "consent"),
    ("ro", "consimțământul", "consent"),
    ("ro", "consimtamantul", "consent"),
    ("ur", "رضامندی", "consent"),
])
def test_each_language_finds_its_own_words(app, lang, word, slug):
    from kiosk.content.serving import get_search
    with app.app_context():
        assert slug in get_search().search(lang, word)


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_every_article_is_found_by_a_word_of_its_title(app, shipped_library, lang):
    from kiosk.content.markdown import fold_for_search
    from kiosk.content.serving import get_search
    with app.app_context():
        for article in shipped_library.articles.values():
            title = article.versions[lang].title
            word = title[:2] if lang == "zh-Hans" else max(re.findall(r"\w+", title), key=len)
            assert article.slug in get_search().search(lang, word), (lang, word)
            if lang == "vi":  # and with no diacritics at all
                plain = fold_for_search(word)
                assert plain.isascii() and article.slug in get_search().search(lang, plain), (lang, plain)


@pytest.mark.parametrize("lang", SHIPPED_TAGS)
def test_search_results_link_to_articles_in_the_same_language(client, shipped_library, lang):
    title = shipped_library.articles["boundaries"].version_for(lang).title
    text = client.get(f"/{lang}/search", query_string={"q": title}).get_data(as_text=True)
    assert f'href="/{lang}/articles/boundaries"' in text


@pytest.fixture(scope="module")
def fixture_library():
    from kiosk.content.loader import load_library
    return load_library(FIXTURES / "mixed")


@pytest.fixture(scope="module")
def fixture_index(fixture_library):
    return SearchIndex.build(fixture_library, ["en", "es", "ar", "fr"])


@pytest.mark.parametrize("lang, word", [("en", "water"), ("es", "agua"), ("fr", "water")])
def test_a_result_card_is_the_version_a_reader_of_the_language_is_shown(fixture_index, fixture_library, lang, word):
    # French has no translation: the card is the English source's, in English, as a list shows it.
    version = fixture_library.articles["good"].version_for(lang)
    assert fixture_index.cards(lang, word) == [
        Card("good", version.title, version.summary, version.language, version.reading_minutes)]


def test_a_search_shows_its_results_without_reading_an_article(client, shipped_library, monkeypatch):
    from kiosk.content.stored import StoredArticles
    version = shipped_library.articles["consent"].version_for("es")
    read, here = [], threading.get_ident()  # what this request reads (the kiosk's background work reads on)
    for name in ("read_all", "__getitem__"):
        real = getattr(StoredArticles, name)
        monkeypatch.setattr(StoredArticles, name, lambda self, *arguments, real=real: (
            read.append(arguments) if threading.get_ident() == here else None, real(self, *arguments))[1])
    text = client.get("/es/search", query_string={"q": "consentimiento"}).get_data(as_text=True)
    assert f'<span class="card-title" lang="es">{version.title}</span>' in text
    assert "Tiempo de lectura" in text
    assert read == []  # a body is many times what a card shows: reading twenty took about as long as ranking them


def test_an_index_laid_out_by_an_earlier_kiosk_is_built_again_not_set_aside(tmp_path, fixture_library):
    index = SearchIndex.build(fixture_library, ["en"], tmp_path)
    kept = index
    assert SearchIndex.open(kept.path, index.slugs, ["en"], 0) is not None
    with sqlite3.connect(kept.path) as earlier:
        earlier.execute("PRAGMA user_version = 1")
    assert SearchIndex.open(kept.path, index.slugs, ["en"], 0) is None
    assert kept.path.exists() and not list(tmp_path.glob("*.damaged"))  # not damaged: replaced when built


def test_a_word_in_the_title_ranks_first_then_in_the_summary_then_in_the_body(tmp_path):
    from kiosk.content.loader import load_library
    (tmp_path / "topics.yaml").write_text("care:\n  en: Taking care\n", encoding="utf-8")
    placed = {"in-the-body": ("Rest", "A note.", "Quillwort. " * 4), "in-the-title": ("Quillwort", "A note.", "Rest."),
              "in-the-summary": ("Rest", "Quillwort and rest.", "Rest."), "elsewhere": ("Rest", "A note.", "Water.")}
    for slug, (title, summary, body) in placed.items():
        (tmp_path / "articles" / slug).mkdir(parents=True)
        (tmp_path / "articles" / slug / "en.md").write_text(
            f"---\ntitle: {title}\nsummary: {summary}\ntopics: [care]\nrevision: 1\n"
            f"attribution: Test.\nlicence: CC BY 4.0\n---\n\n{body}\n", encoding="utf-8")
    index = SearchIndex.build(load_library(tmp_path), ["en"])
    # Four matches in the body do not outweigh one in the summary, nor that one in the title.
    assert index.search("en", "quillwort") == ["in-the-title", "in-the-summary", "in-the-body"]


def test_an_index_made_by_other_code_is_built_again_not_set_aside(tmp_path, fixture_library):
    # An article is taken out of an index by the words it was put in with: other code might fold them otherwise.
    index = SearchIndex.build(fixture_library, ["en"], tmp_path)
    kept = index
    with sqlite3.connect(kept.path) as earlier:
        earlier.execute("UPDATE made_by SET code = 'another'")
    assert SearchIndex.open(kept.path, index.slugs, ["en"], 0) is None
    assert kept.path.exists() and not list(tmp_path.glob("*.damaged"))


def test_accents_are_ignored_both_ways(fixture_index):
    assert fixture_index.search("en", "cafe") == ["good"]
    assert fixture_index.search("en", "CAFÉ") == ["good"]
    assert fixture_index.search("es", "cafe") == ["good"]


def test_arabic_vowel_marks_are_ignored(fixture_index):
    # The text has الرَّاحةُ with marks; a patron types it bare, or marked differently.
    assert fixture_index.search("ar", "الراحة") == ["good"]
    assert fixture_index.search("ar", "الرّاحة") == ["good"]


def test_untranslated_articles_are_found_in_their_source_text(fixture_index):
    assert fixture_index.search("fr", "sleep") == ["good"]


def test_two_character_chinese_word_is_found(app):
    from kiosk.content.serving import get_search
    with app.app_context():
        results = get_search().search("zh-Hans", "信任")
    assert "intimacy" in results


def test_single_chinese_character_is_found(app):
    from kiosk.content.serving import get_search
    with app.app_context():
        assert get_search().search("zh-Hans", "爱")
