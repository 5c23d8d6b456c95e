"""The interface's gettext catalogs: compiled before the kiosk serves, and the translators' commands.

``flask --app kiosk translate extract / update / compile / init`` wrap
``pybabel`` with ``babel.cfg``. A kiosk must never serve every page in English
because nobody compiled the catalogs: ``ensure_compiled`` compiles a missing
or stale ``messages.mo`` at start-up, and refuses to start, naming the command,
where it cannot write one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .atomic import write_atomically
from .catalog_compiling import catalog_files, compile_stale
from .languages import Language
from .shipped import TRANSLATIONS

COMPILE_COMMAND = "flask --app kiosk translate compile"
PROJECT_VERSION = "1"
"""The catalogs' own version, for their headers (bumped when their layout changes, not per string)."""
CATALOG_HEADER = """\
# Translations template for the reading kiosk.
# Copyright (C) YEAR The Reading Kiosk authors
# This file is distributed under the same licence as the reading kiosk.
# Reading Kiosk translators, YEAR: translations are machine-assisted and
# marked unreviewed until a fluent reader has checked them (see
# docs/translation-style/README.md).
#"""
"""The template's header comment, which ``translate init`` gives a new catalog (no FIRST AUTHOR to fill in)."""


class CatalogError(RuntimeError):
    """A catalog is not compiled and cannot be compiled here; the message says what to run."""


def missing_catalogs(folder: Path, languages: Iterable[Language]) -> list[Language]:
    """The languages (other than English, the interface's own) with no catalog at all."""
    return [language for language in languages if language.locale != "en"
            and not any(path.is_file() for path in catalog_files(folder, language.locale))]


def ensure_compiled(folder: Path, languages: Iterable[Language]) -> list[Language]:
    """Compile every catalog whose ``.mo`` is missing or older than its ``.po`` and different; return those compiled.

    English needs no catalog, and a language with no catalog at all is left
    to ``missing_catalogs``. Raises ``CatalogError`` when a catalog cannot be
    written (a read-only installation).
    """
    by_locale = {language.locale: language for language in languages if language.locale != "en"}

    def write(mo: Path, data: bytes) -> None:
        try:
            write_atomically(mo, data, mode=0o644)
        except OSError as error:
            name = by_locale[mo.parent.parent.name].english_name
            raise CatalogError(f"the {name} catalog is not compiled and {mo} cannot be "
                               f"written ({error.strerror}): run `{COMPILE_COMMAND}` as its owner") from None

    return [by_locale[locale] for locale in compile_stale(folder, by_locale, write)]


translate_group = AppGroup("translate", help="Extract, update and compile the interface's gettext "
                                            "catalogs (wraps pybabel).")


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.run(command, cwd=TRANSLATIONS.parent).returncode:
        raise click.ClickException("pybabel " + " ".join(args[:1]) + " failed")


@translate_group.command("extract")
def translate_extract() -> None:
    """Collect every UI string from the code and templates into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "-k", "_l", "-k", "lazy_pgettext:1c,2",
             "--add-comments", "Translators:", "--no-location", "--sort-output",
             "--project", "reading-kiosk", "--version", PROJECT_VERSION,
             "--copyright-holder", "The Reading Kiosk authors", "--header-comment", CATALOG_HEADER,
             "-o", str(TRANSLATIONS / "messages.pot"), ".")


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every language's messages.po.

    Strings no longer in the code are dropped, not kept as ``#~`` entries: a
    changed string is translated anew, never guessed from an old one.
    """
    translate_extract.callback()
    _pybabel("update", "-i", str(TRANSLATIONS / "messages.pot"), "-d", str(TRANSLATIONS), "--no-fuzzy-matching",
             "--ignore-obsolete")


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every messages.po that changed into the messages.mo the kiosk reads."""
    for locale in compile_stale(TRANSLATIONS):
        click.echo(f"compiled the {locale} catalog")


@translate_group.command("init")
@click.argument("locale")
def translate_init(locale: str) -> None:
    """Start a catalog for a new LOCALE (the registry's ``locale``, e.g. ``pt_BR``)."""
    _pybabel("init", "-i", str(TRANSLATIONS / "messages.pot"), "-d", str(TRANSLATIONS), "-l", locale)


def init_app(app: Flask) -> None:
    """Register ``flask translate ...``."""
    app.cli.add_command(translate_group)
