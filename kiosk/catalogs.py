"""The interface's gettext catalogs: compiled before the kiosk serves, and the translators' commands.

``flask --app kiosk translate extract / update / compile / init`` wrap
``pybabel`` with ``babel.cfg``. A kiosk must never serve every page in English
because nobody compiled the catalogs: ``ensure_compiled`` compiles a missing
or stale ``messages.mo`` at start-up, and refuses to start, naming the command,
where it cannot write one.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.cli import AppGroup

from .atomic import write_atomically
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


def catalog_files(folder: Path, language: Language) -> tuple[Path, Path]:
    """The ``messages.po`` and ``messages.mo`` of ``language`` under ``folder``."""
    base = Path(folder) / language.locale / "LC_MESSAGES"
    return base / "messages.po", base / "messages.mo"


def missing_catalogs(folder: Path, languages: Iterable[Language]) -> list[Language]:
    """The languages (other than English, the interface's own) with no catalog at all."""
    return [language for language in languages if language.locale != "en"
            and not any(path.is_file() for path in catalog_files(folder, language))]


def ensure_compiled(folder: Path, languages: Iterable[Language]) -> list[Language]:
    """Compile every catalog whose ``.mo`` is missing or older than its ``.po`` and different; return those compiled.

    English needs no catalog, and a language with no catalog at all is left
    to ``missing_catalogs``. Raises ``CatalogError`` when a catalog cannot be
    written (a read-only installation).
    """
    compiled = []
    for language in languages:
        po, mo = catalog_files(folder, language)
        if language.locale == "en" or not po.is_file():
            continue
        if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as file:
            catalog = read_po(file, locale=language.locale)
        output = io.BytesIO()
        write_mo(output, catalog)
        if mo.is_file() and mo.read_bytes() == output.getvalue():
            continue  # only older on disk: an installed package unpacks its .mo before its .po
        try:
            write_atomically(mo, output.getvalue(), mode=0o644)
        except OSError as error:
            raise CatalogError(f"the {language.english_name} catalog is not compiled and {mo} cannot be "
                               f"written ({error.strerror}): run `{COMPILE_COMMAND}` as its owner") from None
        compiled.append(language)
    return compiled


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
    """Compile every messages.po into the messages.mo the kiosk reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


@translate_group.command("init")
@click.argument("locale")
def translate_init(locale: str) -> None:
    """Start a catalog for a new LOCALE (the registry's ``locale``, e.g. ``pt_BR``)."""
    _pybabel("init", "-i", str(TRANSLATIONS / "messages.pot"), "-d", str(TRANSLATIONS), "-l", locale)


def init_app(app: Flask) -> None:
    """Register ``flask translate ...``."""
    app.cli.add_command(translate_group)
