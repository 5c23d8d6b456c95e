"""``flask --app kiosk ...`` commands for content editors and translators."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .content_loader import ContentFolderError, load_library
from .content_status import format_report, status_report, translation_notes
from .i18n import TRANSLATIONS
from .settings import PROJECT_ROOT
from .staff_auth import PinFormatError, set_pin

POT_FILE = TRANSLATIONS / "messages.pot"


content_group = AppGroup("content", help="Check the content folder.")
folder_argument = click.argument("folder", required=False, type=click.Path(path_type=Path))


def _load(folder: Path | None):
    """The library in FOLDER (default: the kiosk's own), or a clear error if the folder is unusable."""
    try:
        return load_library(folder or current_app.config["KIOSK_CONTENT"])
    except ContentFolderError as error:
        raise click.ClickException(str(error)) from None


@content_group.command("check")
@folder_argument
def content_check(folder: Path | None) -> None:
    """Print every problem in FOLDER (default: the kiosk's content folder); exit 1 if any.

    Missing and out-of-date translations are printed as notes: readers are
    shown the source, or told, so they do not fail the check.
    """
    library = _load(folder)
    for problem in library.problems:
        click.echo(str(problem))
    languages = [language.tag for language in current_app.config["KIOSK_LANGUAGES"]]
    notes = translation_notes(library, languages)
    for note in notes:
        click.echo(note)
    versions = sum(len(article.versions) for article in library.articles.values())
    click.echo(f"{len(library.articles)} articles ({versions} language files) valid, "
               f"{len(library.problems)} problems, {len(notes)} notes.")
    if library.problems:
        sys.exit(1)


@content_group.command("status")
@folder_argument
def content_status(folder: Path | None) -> None:
    """Show each article in each offered language: translated, unreviewed, outdated or missing."""
    library = _load(folder)
    languages = [language.tag for language in current_app.config["KIOSK_LANGUAGES"]]
    click.echo(format_report(status_report(library, languages)))
    if library.problems:
        click.echo(f"\n{len(library.problems)} content problems: run `flask --app kiosk content check`.")


translate_group = AppGroup("translate", help="Extract, update and compile the interface's gettext "
                                            "catalogs (wraps pybabel).")


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.run(command, cwd=PROJECT_ROOT).returncode:
        raise click.ClickException("pybabel " + " ".join(args[:1]) + " failed")


@translate_group.command("extract")
def translate_extract() -> None:
    """Collect every UI string from the code and templates into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "-k", "_l",
             "--no-location", "--sort-output", "--project", "reading-kiosk",
             "--copyright-holder", "The Reading Kiosk authors", "-o", str(POT_FILE), ".")


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every language's messages.po."""
    translate_extract.callback()
    _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every messages.po into the messages.mo the kiosk reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


@translate_group.command("init")
@click.argument("locale")
def translate_init(locale: str) -> None:
    """Start a catalog for a new LOCALE (the registry's ``locale``, e.g. ``pt_BR``)."""
    _pybabel("init", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "-l", locale)


staff_group = AppGroup("staff", help="Manage staff access.")


@staff_group.command("set-pin")
def staff_set_pin() -> None:
    """Set the staff PIN (4 to 12 digits; asked twice, never shown or stored in clear)."""
    pin = click.prompt("New staff PIN", hide_input=True, confirmation_prompt=True)
    try:
        set_pin(Path(current_app.instance_path), pin.strip())
    except PinFormatError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Staff PIN set (stored as a salted hash in {current_app.instance_path}).")


def init_app(app: Flask) -> None:
    """Register the command groups with ``flask``."""
    app.cli.add_command(content_group)
    app.cli.add_command(translate_group)
    app.cli.add_command(staff_group)
