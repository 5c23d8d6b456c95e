"""``flask --app kiosk content ...``: the commands of a content editor."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .loader import ContentFolderError, load_library
from .model import Library
from .status import format_report, status_report, translation_notes

content_group = AppGroup("content", help="Check the content folder and see how complete it is.")
folder_argument = click.argument("folder", required=False, type=click.Path(path_type=Path))


def load_for_command(folder: Path | None) -> Library:
    """The library in FOLDER (default: the kiosk's own), or a clear error if the folder is unusable."""
    try:
        return load_library(folder or current_app.config["KIOSK_CONTENT"])
    except ContentFolderError as error:
        raise click.ClickException(str(error)) from None


def _offered_tags() -> list[str]:
    return [language.tag for language in current_app.config["KIOSK_LANGUAGES"]]


@content_group.command("check")
@folder_argument
def content_check(folder: Path | None) -> None:
    """Print every problem in FOLDER (default: the kiosk's content folder); exit 1 if any is an error.

    Warnings (something ignored) and notes (missing and out-of-date
    translations: readers are shown the source, or told) are printed too, but
    do not fail the check.
    """
    library = load_for_command(folder)
    for problem in library.problems:
        click.echo(str(problem))
    notes = translation_notes(library, _offered_tags())
    for note in notes:
        click.echo(note)
    errors = library.error_count
    versions = sum(len(article.versions) for article in library.articles.values())
    click.echo(f"{len(library.articles)} articles ({versions} language files) valid, {errors} errors, "
               f"{len(library.problems) - errors} warnings, {len(notes)} notes.")
    if errors:
        sys.exit(1)


@content_group.command("status")
@folder_argument
def content_status(folder: Path | None) -> None:
    """Show each article in each offered language: source, reviewed, unreviewed, outdated or missing."""
    library = load_for_command(folder)
    click.echo(format_report(status_report(library, _offered_tags())))
    if library.error_count:
        click.echo(f"\n{library.error_count} content errors: run `flask --app kiosk content check`.")


def init_app(app: Flask) -> None:
    """Register ``flask content ...``."""
    app.cli.add_command(content_group)
