"""How complete the library is: each article in each language, and the totals.

One place for this report, used by ``flask content status``, ``content check``
and the staff screen. Every cell is a ``TranslationState``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Library, TranslationState


@dataclass(frozen=True)
class StatusRow:
    """One article's state in each language."""

    slug: str
    title: str
    source_language: str
    cells: tuple[tuple[str, TranslationState], ...]
    """(language tag, state) pairs, in the order asked for."""


@dataclass(frozen=True)
class StatusReport:
    """The whole table and its totals."""

    languages: tuple[str, ...]
    rows: tuple[StatusRow, ...]
    totals: dict[TranslationState, int]


def status_report(library: Library, languages: Sequence[str]) -> StatusReport:
    """Build the table for ``languages`` over every article of ``library``."""
    rows = []
    totals: Counter[TranslationState] = Counter({state: 0 for state in TranslationState})
    for article in sorted(library.articles.values(), key=lambda a: a.slug):
        cells = tuple((language, article.state_in(language)) for language in languages)
        totals.update(state for _, state in cells)
        rows.append(StatusRow(article.slug, article.source.title, article.source_language, cells))
    return StatusReport(tuple(languages), tuple(rows), dict(totals))


def format_report(report: StatusReport) -> str:
    """The report as a plain-text table for a terminal."""
    slug_width = max([len("article")] + [len(row.slug) for row in report.rows])
    widths = [max(len(language), *(len(state.value) for state in TranslationState))
              for language in report.languages]
    header = ["article".ljust(slug_width)] + [tag.ljust(width) for tag, width in zip(report.languages, widths, strict=True)]
    lines = ["  ".join(header).rstrip()]
    for row in report.rows:
        cells = [state.value.ljust(width) for (_, state), width in zip(row.cells, widths, strict=True)]
        lines.append("  ".join([row.slug.ljust(slug_width)] + cells).rstrip())
    lines.append("")
    lines.append("totals: " + ", ".join(f"{state.value} {report.totals[state]}" for state in TranslationState))
    return "\n".join(lines)


def translation_notes(library: Library, languages: Sequence[str]) -> list[str]:
    """One line per article lacking a translation, or with one made from an older revision."""
    notes = []
    for article in sorted(library.articles.values(), key=lambda a: a.slug):
        missing = [tag for tag in languages if article.state_in(tag) is TranslationState.MISSING]
        if missing:
            notes.append(f"{article.source.path.parent}: note: no translation into {', '.join(missing)} "
                         "(readers are shown the source, with a notice)")
        for tag in languages:
            if article.state_in(tag) is TranslationState.OUTDATED:
                version = article.versions[tag]
                notes.append(f"{version.path}: note: made from revision {version.translated_from}, the source "
                             f"is at revision {article.revision} (shown as possibly out of date)")
    return notes
