"""Every UI string is translated in every shipped language, with the right plural forms."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys

import pytest
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from kiosk.catalogs import CatalogError, catalog_files, ensure_compiled, missing_catalogs
from kiosk.languages import BY_TAG, LANGUAGES

from .conftest import ROOT

TRANSLATED = [language for language in LANGUAGES if language.tag != "en"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A fresh extraction of every UI string in the code and templates."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "lazy_gettext", "-k", "_l", "-k", "lazy_pgettext:1c,2", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return read_po(handle)


def catalog(language):
    with (ROOT / "translations" / language.locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language.locale)


def test_the_template_finds_the_interface_strings(template):
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in template if message.id}
    assert "Search the articles" in ids
    assert len(ids) > 30


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_every_ui_string_is_translated_and_not_fuzzy(template, language):
    translations = catalog(language)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = translations.get(message.id, message.context)
        strings = found.string if found and isinstance(found.string, (list, tuple)) else [found and found.string]
        if found is None or found.fuzzy or not all(strings):
            missing.append(message.id)
    assert missing == []


@pytest.mark.parametrize("tag, count", [("ar", 6), ("uk", 3), ("zh-Hans", 1), ("es", 3), ("fr", 3), ("pt-BR", 3)])
def test_known_plural_counts(tag, count):
    """CLDR (as Babel 2.19 reports it) gives Spanish, French and Portuguese a form for millions."""
    language = next(language for language in TRANSLATED if language.tag == tag)
    assert catalog(language).num_plurals == count


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_plural_forms_match_the_language(language):
    translations = catalog(language)
    expected = get_plural(language.locale).num_plurals
    assert translations.num_plurals == expected
    plural_messages = [m for m in translations if m.id and isinstance(m.id, (list, tuple))]
    assert plural_messages
    for message in plural_messages:
        assert len(message.string) == expected and all(message.string), message.id


# Every number up to 2,000, and the round millions where CLDR's "many" forms begin.
PLURAL_SAMPLES = [*range(2001), 10_000, 100_000, 1_000_000, 2_000_000, 1_000_001, 10_000_000]


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_plural_rule_is_cldrs(language):
    """The catalog's rule picks the same form as CLDR for every number, not only the same count of forms."""
    ours = gettext.c2py(catalog(language).plural_expr)
    cldr = gettext.c2py(get_plural(language.locale).plural_expr)
    assert [n for n in PLURAL_SAMPLES if ours(n) != cldr(n)] == []


@pytest.mark.parametrize("tag, count, expected", [
    ("fr", 0, "Temps de lecture\xa0: 0 minute"),
    ("fr", 2, "Temps de lecture\xa0: 2 minutes"),
    ("es", 1_000_000, "Tiempo de lectura: 1000000 de minutos"),
    ("pt-BR", 1, "Tempo de leitura: 1 minuto"),
])
def test_reading_time_takes_the_form_cldr_chooses(tag, count, expected):
    translations = catalog(BY_TAG[tag])
    forms = translations.get(("Reading time: %(num)s minute", "Reading time: %(num)s minutes")).string
    rule = gettext.c2py(translations.plural_expr)
    assert forms[rule(count)] % {"num": count} == expected


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_placeholders_survive_translation(language):
    translations = catalog(language)
    problems = [(message.id, errors) for message in translations if message.id
                for errors in [list(message.check(translations))] if errors]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_catalog_compiles(language, tmp_path):
    with (tmp_path / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog(language))


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_pages_use_the_translation(client, language):
    translations = catalog(language)
    expected = translations.get("Search the articles").string
    assert expected and expected != "Search the articles"
    assert expected in client.get(f"/{language.tag}/").get_data(as_text=True)


def test_arabic_counts_use_the_dual_form(client, shipped_library):
    translations = catalog(next(language for language in TRANSLATED if language.tag == "ar"))
    forms = translations.get(("%(num)s article", "%(num)s articles")).string
    two = [topic for topic in shipped_library.topics if len(shipped_library.articles_in(topic)) == 2]
    text = client.get(f"/ar/topics/{two[0]}").get_data(as_text=True)
    assert forms[2].replace("%(num)s", "2") in text


def test_counts_are_formatted_for_the_locale(app):
    from flask import render_template_string
    with app.test_request_context("/fr/"):
        from flask import g

        from kiosk.languages import BY_TAG
        g.language = BY_TAG["fr"]
        text = render_template_string(
            '{{ ngettext("%(num)s article", "%(num)s articles", 12345, num=12345|numberformat) }}')
    assert text.startswith("12\u202f345") or text.startswith("12\xa0345")


def copy_catalogs(target):
    """The shipped catalogs' .po files (none compiled) copied into ``target``."""
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        destination = target / po.relative_to(ROOT / "translations")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(po.read_bytes())
    return target


def test_catalogs_that_were_never_compiled_are_compiled_before_serving(tmp_path):
    folder = copy_catalogs(tmp_path)
    compiled = ensure_compiled(folder, LANGUAGES)
    assert {language.tag for language in compiled} == {language.tag for language in TRANSLATED}
    spanish = Translations.load(str(folder), ["es"])
    assert spanish.ugettext("Search the articles") != "Search the articles"
    assert ensure_compiled(folder, LANGUAGES) == []  # up to date now


def test_a_catalog_edited_after_compiling_is_compiled_again(tmp_path):
    folder = copy_catalogs(tmp_path)
    ensure_compiled(folder, LANGUAGES)
    po, mo = catalog_files(folder, BY_TAG["fr"].locale)
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Rechercher"', 'msgstr "Chercher"'),
                  encoding="utf-8")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert [language.tag for language in ensure_compiled(folder, LANGUAGES)] == ["fr"]


def test_a_catalog_only_older_on_disk_is_left_alone_even_where_it_cannot_be_written(tmp_path, monkeypatch):
    """As a wheel installs them: each .mo unpacked a moment before its .po, in a folder the kiosk cannot write."""
    folder = copy_catalogs(tmp_path)
    ensure_compiled(folder, LANGUAGES)
    for language in TRANSLATED:
        po, mo = catalog_files(folder, language.locale)
        os.utime(po, (mo.stat().st_mtime + 0.001, mo.stat().st_mtime + 0.001))

    def refuse(path, data, mode=0o600):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("kiosk.catalogs.write_atomically", refuse)
    assert ensure_compiled(folder, LANGUAGES) == []


def test_a_catalog_that_cannot_be_written_refuses_the_start_and_names_the_command(tmp_path, monkeypatch):
    folder = copy_catalogs(tmp_path)

    def refuse(path, data, mode=0o600):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("kiosk.catalogs.write_atomically", refuse)
    with pytest.raises(CatalogError, match=r"run `flask --app kiosk translate compile`"):
        ensure_compiled(folder, LANGUAGES)


def test_an_offered_language_without_any_catalog_is_reported(tmp_path):
    folder = copy_catalogs(tmp_path)
    shutil.rmtree(folder / "uk")
    assert missing_catalogs(folder, LANGUAGES) == [BY_TAG["uk"]]


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_catalogs_keep_no_obsolete_entries(language):
    assert not catalog(language).obsolete


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.tag)
def test_catalog_headers_are_filled_and_honest_about_review(language):
    text = catalog_files(ROOT / "translations", language.locale)[0].read_text(encoding="utf-8")
    header = text[:text.index('"MIME-Version')]
    assert "FIRST AUTHOR" not in header and "LANGUAGE <LL@li.org>" not in header
    team = catalog(language).language_team
    assert "machine-assisted" in team and "not yet reviewed" in team
