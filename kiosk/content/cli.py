"""``flask --app kiosk content ...``: the commands of a content editor."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .loader import ContentFolderError, load_library
from .manifest import ManifestError, publish, verify
from .model import Library
from .status import format_report, status_report, translation_notes

content_group = AppGroup("content", help="Check the content folder, see how complete it is, and publish it.")
folder_argument = click.argument("folder", required=False, type=click.Path(path_type=Path))


def load_for_command(folder: Path | None) -> Library:
    """The library in FOLDER (default: the kiosk's own), or a clear error if the folder is unusable."""
    try:
        return load_library(folder or current_app.config["KIOSK_CONTENT"])
    except ContentFolderError as error:
        raise click.ClickException(str(error)) from None


def _folder(folder: Path | None) -> Path:
    return Path(folder or current_app.config["KIOSK_CONTENT"])


def _manifest_lines(folder: Path) -> list[str]:
    """What the folder's manifest says, if it has one: its version, and any file that differs from it."""
    try:
        manifest, differences = verify(folder)
    except ManifestError as error:
        return [f"manifest: {error}"]
    if manifest is None:
        return []
    if not differences:
        return [f"manifest: version {manifest.version}, every file as published"]
    return ([f"manifest: version {manifest.version}, {_count(len(differences), 'file differs', 'files differ')} "
             "(kiosks keep the last "
             "good version until every file matches: publish again)"] + [f"  {line}" for line in differences])


def _count(number: int, one: str, more: str) -> str:
    return f"{number} {one if number == 1 else more}"


def _offered_tags() -> list[str]:
    return [language.tag for language in current_app.config["KIOSK_LANGUAGES"]]


@content_group.command("check")
@folder_argument
def content_check(folder: Path | None) -> None:
    """Print every problem in FOLDER (default: the kiosk's content folder); exit 1 if any is an error.

    Warnings (something ignored, or an English sentence over 20 words) and
    notes (missing and out-of-date translations: readers are shown the source,
    or told) are printed too, but do not fail the check. Each English article's
    grade on the New Dale-Chall formula is printed with them.
    """
    # Imported here: its word lists and HTML parser take a tenth of a second, which every start of the kiosk paid.
    from .readability import readability_report
    library = load_for_command(folder)
    for problem in library.problems:
        click.echo(str(problem))
    long_sentences = 0
    for article in readability_report(library):
        click.echo(str(article))
        for problem in article.long_sentences:
            click.echo(str(problem))
        long_sentences += len(article.long_sentences)
    notes = translation_notes(library, _offered_tags())
    for note in notes:
        click.echo(note)
    for line in _manifest_lines(_folder(folder)):
        click.echo(line)
    errors = library.error_count
    versions = sum(len(article.versions) for article in library.articles.values())
    click.echo(f"{len(library.articles)} articles ({versions} language files) valid, {errors} errors, "
               f"{len(library.problems) - errors + long_sentences} warnings, {len(notes)} notes.")
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


@content_group.command("publish")
@folder_argument
@click.option("--version", "version", metavar="NAME",
              help="Name the version (default: the date and time, and a digest of the files).")
def content_publish(folder: Path | None, version: str | None) -> None:
    """Check FOLDER as `content check` does and, if it has no errors, write its manifest.json.

    The manifest lists every file with its size and SHA-256, and names the
    version; a kiosk fed from a copy of FOLDER takes that version only once
    every file matches. Publish after every change, on the machine where
    content is edited.
    """
    library = load_for_command(folder)
    if library.error_count:
        for problem in library.problems:
            click.echo(str(problem))
        raise click.ClickException(f"not published: {_count(library.error_count, 'error', 'errors')} "
                                   "(the manifest is unchanged)")
    if version is not None and not version.strip():
        raise click.ClickException("--version needs a name")
    manifest = publish(_folder(folder), version.strip() if version else None)
    click.echo(f"Published version {manifest.version}: {len(manifest.files)} files listed in manifest.json.")


def init_app(app: Flask) -> None:
    """Register ``flask content ...``."""
    app.cli.add_command(content_group)
