"""How complete the library is: each article in each language, and the totals.

One place for this report, used by ``flask content status`` and the staff screens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .library import Article, Library, TranslationState

LABELS = ("source", "translated", "unreviewed", "outdated", "missing")
"""Every cell is one of these; ``translated`` means current and reviewed by a fluent person."""


def cell_label(article: Article, language: str) -> str:
    """The state of ``article`` in ``language`` as one word from ``LABELS``.

    An outdated translation is ``outdated`` whether or not it was reviewed:
    it needs a translator's attention first.
    """
    state = article.state_in(language)
    if state is TranslationState.CURRENT:
        return "translated" if article.versions[language].reviewed else "unreviewed"
    return state.value


@dataclass(frozen=True)
class StatusRow:
    """One article's state in each language."""

    slug: str
    title: str
    cells: tuple[tuple[str, str], ...]
    """(language tag, label) pairs, in the order asked for."""


@dataclass(frozen=True)
class StatusReport:
    """The whole table and its totals."""

    languages: tuple[str, ...]
    rows: tuple[StatusRow, ...]
    totals: dict[str, int]


def status_report(library: Library, languages: Sequence[str]) -> StatusReport:
    """Build the table for ``languages`` over every article of ``library``."""
    rows = []
    totals: Counter[str] = Counter({label: 0 for label in LABELS})
    for article in sorted(library.articles.values(), key=lambda a: a.slug):
        cells = tuple((language, cell_label(article, language)) for language in languages)
        totals.update(label for _, label in cells)
        rows.append(StatusRow(article.slug, article.source.title, cells))
    return StatusReport(tuple(languages), tuple(rows), dict(totals))


def format_report(report: StatusReport) -> str:
    """The report as a plain-text table for a terminal."""
    slug_width = max([len("article")] + [len(row.slug) for row in report.rows])
    widths = [max(len(language), *(len(label) for label in LABELS)) for language in report.languages]
    lines = ["  ".join(["article".ljust(slug_width)] + [l.ljust(w) for l, w in zip(report.languages, widths)]).rstrip()]
    for row in report.rows:
        lines.append("  ".join([row.slug.ljust(slug_width)] +
                               [label.ljust(w) for (_, label), w in zip(row.cells, widths)]).rstrip())
    lines.append("")
    lines.append("totals: " + ", ".join(f"{label} {report.totals[label]}" for label in LABELS))
    return "\n".join(lines)


def translation_notes(library: Library, languages: Sequence[str]) -> list[str]:
    """One line per article lacking a translation, or with one made from an older revision."""
    notes = []
    for article in sorted(library.articles.values(), key=lambda a: a.slug):
        folder = article.source.path.parent
        missing = [tag for tag in languages if cell_label(article, tag) == "missing"]
        if missing:
            notes.append(f"{folder}: note: no translation into {', '.join(missing)} "
                         "(readers are shown the source, with a notice)")
        for tag in languages:
            if cell_label(article, tag) == "outdated":
                version = article.versions[tag]
                notes.append(f"{version.path}: note: made from revision {version.translated_from}, the source "
                             f"is at revision {article.revision} (shown as possibly out of date)")
    return notes
