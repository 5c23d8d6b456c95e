"""The on-screen keyboard: a layout for every language, and what it offers as a patron types."""

from __future__ import annotations

import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from kiosk.content.loader import load_library
from kiosk.content.words import keyboard_words, plain_pinyin
from kiosk.keyboards import KEYBOARDS, keyboard_for
from kiosk.languages import LANGUAGES

from .conftest import CONTENT, ROOT, SHIPPED_TAGS


@pytest.fixture(scope="module")
def words():
    return keyboard_words(load_library(CONTENT))


@pytest.mark.parametrize("tag", SHIPPED_TAGS)
def test_every_language_has_a_keyboard_whose_letters_spell_its_titles(shipped_library, tag):
    layout = keyboard_for(tag)
    keys = {key for row in layout.rows for key in row}
    assert keys and all(len(row) <= 13 for row in layout.rows)
    if layout.spells_pinyin:
        assert keys >= set("abcdefghijklmnopqrstuvwxyz")
        return
    marks = {mark for mark, _ in layout.marks}
    for article in shipped_library.articles.values():
        version = article.versions[tag]
        # A letter with a tone mark is typed as the letter, then the mark.
        bare = unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", version.title)
                                                    if c not in marks))
        letters = {c.lower() for c in bare if c.isalpha()}
        assert letters <= keys | {c.upper() for c in keys}, (tag, version.title, letters - keys)


def test_the_registry_and_the_keyboards_agree():
    assert set(KEYBOARDS) == {language.tag for language in LANGUAGES}
    assert keyboard_for("ar").direction == "rtl" and keyboard_for("en").direction == "ltr"


@pytest.mark.parametrize("letters, word", [
    ("qinmi", "亲密"),        # a two-syllable word
    ("tongyi", "同意"),
    ("bianjie", "边界"),      # the library's own term, not in the general phrase list
    ("qīnmì", "亲密"),        # typed with tone marks
    ("QIN MI", "亲密"),       # capitals and a space between syllables
])
def test_pinyin_offers_the_library_s_word_first(words, letters, word):
    assert words.chinese_for(letters)[0] == word


def test_a_prefix_offers_words_that_start_with_it(words):
    offered = words.chinese_for("qin")
    assert "亲密" in offered and "亲近" in offered
    assert offered[0] == "亲"  # the one whose whole sound it is comes first


def test_an_unknown_or_empty_prefix_offers_nothing(words):
    assert words.chinese_for("xyzq") == []
    assert words.chinese_for("") == [] and words.chinese_for("123 !") == []


def test_plain_pinyin_ignores_tones_spaces_and_apostrophes():
    assert plain_pinyin("Xī'ān") == "xian"
    assert plain_pinyin("nǚ") == "nv" == plain_pinyin("nü")


@pytest.mark.parametrize("typed, title, language", [
    ("cons", "Consent", "en"),
    ("con bou", "Consent and boundaries", "en"),
    ("consentim", "Consentimiento", "es"),
    ("الموافق", "الموافقة", "ar"),
    ("згод", "Згода", "uk"),
    ("同意", "同意", "zh-Hans"),
])
def test_titles_and_topics_in_every_language_complete_what_is_typed(words, typed, title, language):
    found = [(completion.text, completion.language) for completion in words.complete(typed, "en")]
    assert (title, language) in found


def test_completions_of_the_page_s_language_come_first(words):
    found = words.complete("cons", "fr")
    assert found[0].language == "fr"


def test_the_keyboard_endpoint_answers_with_links_that_keep_the_display(client):
    data = client.get("/en/keyboard/suggestions?typed=cons&size=3").get_json()
    assert data["words"] == []
    assert {"text": "Consent", "lang": "en", "dir": "ltr", "href": "/en/articles/consent?size=3"} in data["completions"]
    chinese = client.get("/zh-Hans/keyboard/suggestions?typed=qinmi").get_json()
    assert chinese["words"][0] == "亲密"


@pytest.mark.parametrize("typed", ["", "x" * 10_000, "\x00\x01", "<script>", "%", "qin' OR 1=1"])
def test_the_keyboard_endpoint_takes_anything_calmly(client, typed):
    response = client.get("/zh-Hans/keyboard/suggestions", query_string={"typed": typed})
    assert response.status_code == 200 and response.is_json
    assert response.headers["Cache-Control"] == "no-store"


def test_the_kiosk_never_holds_pypinyins_dictionaries(tmp_path):
    """pypinyin (some 55 MiB once loaded) runs in a child process; the kiosk only gets the words."""
    code = ("import sys; from kiosk import create_app; from kiosk.content.serving import content_holder; "
            f"app = create_app({{'TESTING': True, 'instance': {str(tmp_path)!r}}}); "
            "words = content_holder(app).current.keyboard_words; "
            "print(len(words.chinese), 'pypinyin' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    count, loaded = result.stdout.split()
    assert int(count) > 500 and loaded == "False", result.stderr


def test_a_failed_child_leaves_titles_and_topics_on_the_keyboard(monkeypatch, caplog):
    from kiosk.content import pinyin
    monkeypatch.setattr(pinyin, "CHILD_SECONDS", 0.001)
    words = keyboard_words(load_library(CONTENT))
    assert words.chinese == () and words.complete("con", "en")
    assert "no Chinese words by their pinyin (could not run pypinyin: TimeoutExpired)" in caplog.text


def test_titles_looked_up_on_disk_complete_exactly_as_titles_held_in_memory(tmp_path, words):
    # A big library's titles stay in the start-up cache's file; what the keyboard offers is the same.
    from kiosk.content.manifest import content_files, listing_digest
    from kiosk.content.startup_cache import StartupCache
    cache = StartupCache(tmp_path / "instance")
    stored = keyboard_words(cache.keep(load_library(CONTENT, cache=cache), listing_digest(content_files(CONTENT))))
    assert stored.titles is not None and len(stored.completions) < len(words.completions)
    titles = [completion.text for _, completion in words.completions]
    typed = {"", "c", "con", "cons", "consent", "talk ab", "x"} | {title[:length] for title in titles
                                                                   for length in (1, 2, 4)}
    for text in sorted(typed):
        for language in ("en", "fr", "zh-Hans", "ar"):
            assert stored.complete(text, language) == words.complete(text, language), (text, language)


@pytest.fixture
def library_copy(tmp_path):
    return shutil.copytree(CONTENT, tmp_path / "content")


def _counting_pinyin(monkeypatch, folder):
    """The times the Chinese words of the library in ``folder`` are worked out by pypinyin (a kiosk of an
    earlier test may still be working out its own in the background)."""
    from kiosk.content import serving
    asked = []
    real = serving.chinese_words

    def counted(library, *arguments):
        if Path(library.folder) == folder:
            asked.append(1)
        return real(library, *arguments)
    monkeypatch.setattr(serving, "chinese_words", counted)
    return asked


def test_a_restart_reads_the_chinese_words_its_library_had_and_runs_no_pypinyin(library_copy, make_app,
                                                                                monkeypatch):
    from kiosk.content.serving import content_holder
    asked = _counting_pinyin(monkeypatch, library_copy)
    first = content_holder(make_app(content=library_copy)).current.keyboard_words
    assert len(asked) == 1 and first.chinese_for("qinmi")[0] == "亲密"
    restarted = content_holder(make_app(content=library_copy)).current.keyboard_words
    assert len(asked) == 1  # a child process and seconds of a core that a restart's first pages would share
    assert restarted.chinese == first.chinese


def test_new_chinese_text_has_its_words_worked_out_once_and_kept_for_the_next_start(library_copy, make_app,
                                                                                    monkeypatch):
    from kiosk.content.serving import content_holder
    from kiosk.content.updates import content_updates
    app = make_app(content=library_copy)
    assert content_holder(app).current.keyboard_words.chinese_for("changjinglu") == []
    asked = _counting_pinyin(monkeypatch, library_copy)
    source = library_copy / "articles" / "boundaries" / "zh-Hans.md"
    source.write_text(source.read_text(encoding="utf-8").replace("title: 边界", "title: 边界长颈鹿", 1),
                      encoding="utf-8")
    assert content_updates(app).take_now()
    assert "长颈鹿" in content_holder(app).current.keyboard_words.chinese_for("changjinglu")
    restarted = content_holder(make_app(content=library_copy)).current.keyboard_words
    assert "长颈鹿" in restarted.chinese_for("changjinglu") and len(asked) == 1


def test_words_pypinyin_could_not_work_out_are_not_kept_and_the_next_start_tries_again(library_copy, make_app,
                                                                                        monkeypatch):
    from kiosk.content import pinyin
    from kiosk.content.serving import content_holder
    with monkeypatch.context() as failing:
        failing.setattr(pinyin, "CHILD_SECONDS", 0.001)
        assert content_holder(make_app(content=library_copy)).current.keyboard_words.chinese == ()
    assert content_holder(make_app(content=library_copy)).current.keyboard_words.chinese_for("qinmi")[0] == "亲密"


def test_kept_chinese_words_that_are_damaged_are_worked_out_again(library_copy, make_app, tmp_path, monkeypatch):
    import sqlite3

    from kiosk.content.serving import content_holder
    from kiosk.content.startup_cache import CACHE_FILE
    assert content_holder(make_app(content=library_copy)).current.keyboard_words.chinese
    with sqlite3.connect(tmp_path / "instance" / CACHE_FILE) as db:
        assert db.execute("UPDATE state SET value = X'8004DEAD' WHERE name = 'chinese words'").rowcount == 1
    db.close()
    asked = _counting_pinyin(monkeypatch, library_copy)
    restarted = content_holder(make_app(content=library_copy)).current.keyboard_words
    assert restarted.chinese_for("qinmi")[0] == "亲密" and len(asked) == 1
