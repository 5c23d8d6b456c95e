"""An article as every page that shows one reads it: the patron pages, handouts and read-aloud share this.

The article a page names (or the friendly 404), the second language a page may
ask for (``?compare=`` beside the article, ``?with=`` on a handout), what a
reader must know about the version shown to them, its reading time, and the
date a handout prints.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, abort, redirect, request, url_for
from flask_babel import format_number
from markupsafe import Markup

from .atomic import write_atomically
from .content.model import Article, ArticleVersion, TranslationState
from .content.search import Card
from .content.serving import get_library
from .i18n import choose_language, current_language, render_in_language, translations
from .instance import set_aside
from .languages import LANGUAGES, Language
from .layout import rendering_in

# Nothing to tell the reader: the original, or a current translation a fluent person checked.
CURRENT_STATES = frozenset({TranslationState.SOURCE, TranslationState.REVIEWED})


def article_or_404(slug: str) -> Article:
    """The article ``slug`` of the library this request uses; the friendly 404 if there is none."""
    found = get_library().articles.get(slug)
    if found is None:
        abort(404)
    return found


def second_language(argument: str) -> Language | None:
    """The second language the query argument ``argument`` names, or None when it names none.

    A language the kiosk does not offer is a 404. One written otherwise than
    its tag (``AR``), or the page's own language, sends the browser to the
    page's one address for it (without the argument for the page's own
    language), keeping the other arguments.
    """
    asked = request.args.get(argument)
    if not asked:
        return None
    other = choose_language(asked)
    if other is None:
        abort(404)
    if other == current_language() or other.tag != asked:
        arguments = {key: value for key, value in request.args.items() if key != argument}
        if other != current_language():
            arguments[argument] = other.tag
        abort(redirect(url_for(request.endpoint, **(request.view_args or {}), **arguments)))
    return other


PRINT_DATES_FILE = "print-dates.json"
"""Today's print date in every language, in the instance folder, written by a start (never by a request)."""


class _PrintDates:
    """Today's date as a handout prints it, in every registered language, worked out once a day.

    All languages at once, so nothing held here says which ones were printed in.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._dates: tuple[float, dict[str, str]] = (0.0, {})

    def today(self, language: Language) -> str:
        """Today's long date in ``language`` (never the time)."""
        # Compared with the clock, not with date.today(): working out the local date looks at the time zone's
        # file each time, a good part of an article page's cost.
        until, dates = self._dates
        if self._clock() >= until:
            day = date.today()
            dates = _dates_of(day)
            self._dates = (_end_of(day), dates)
        return dates[language.tag]

    def keep_in(self, folder: Path) -> None:
        """Take today's dates from ``folder``'s ``PRINT_DATES_FILE`` if a start wrote them today; else work them
        out and write them there (a first page after a restart loaded twelve languages' calendars from Babel for
        them: a tenth of a second). Only a start writes the file: written at a request, its time would tell when
        the first page of the day was asked for."""
        path, day = folder / PRINT_DATES_FILE, date.today()
        dates = _read_dates(path, day)
        if dates is None:
            dates = _dates_of(day)
            with contextlib.suppress(OSError):  # a read-only or full instance folder: worked out at each start
                write_atomically(path, json.dumps({"day": day.isoformat(), "dates": dates},
                                                  ensure_ascii=False).encode())
        self._dates = (_end_of(day), dates)


def _dates_of(day: date) -> dict[str, str]:
    return {known.tag: format_date(day, "long", locale=known.locale) for known in LANGUAGES}


def _end_of(day: date) -> float:
    return datetime.combine(day + timedelta(days=1), datetime.min.time()).timestamp()


def _read_dates(path: Path, day: date) -> dict[str, str] | None:
    """The dates ``path`` holds for ``day`` in every registered language, if it holds them; a file that is not
    what a start writes is set aside, in one line naming it."""
    try:
        kept = json.loads(path.read_bytes())
        if date.fromisoformat(kept["day"]) != day:
            return None  # written on an earlier day
        dates = {known.tag: kept["dates"].get(known.tag) for known in LANGUAGES}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        set_aside(path, "today's print dates")
        return None
    # A language added since the file was written: worked out again, and the file written over.
    return dates if all(isinstance(text, str) for text in dates.values()) else None


_print_dates = _PrintDates()


def printed_today(language: Language | None = None) -> str:
    """Today's date as a handout prints it, in ``language`` (default: the page's)."""
    return _print_dates.today(language or current_language())


def in_language(language: Language, template: str, **context: object) -> Markup:
    """``template`` rendered for a reader of ``language``: a column of the side-by-side page speaks to its own reader."""
    with rendering_in(language):
        return Markup(render_in_language(template, **context))


def translation_notice(article: Article, language: Language) -> Markup:
    """What a reader of ``language`` must know about the version shown to them, in that language."""
    if article.state_in(language.tag) in CURRENT_STATES:
        return Markup("")
    return in_language(language, "_translation_notice.html", article=article)


class _SmallNumbers:
    """The numbers below ``SMALL_NUMBERS`` as every registered language writes them, worked out once.

    Babel takes longer to write a number than the rest of a list's card; a list
    or a search shows a reading time on every card. All languages at once, so
    nothing held here says which ones were read in.
    """

    def __init__(self) -> None:
        self._written: dict[str, tuple[str, ...]] | None = None

    def write(self, number: int, language: Language) -> str:
        """``number`` as ``language`` writes it (as ``flask_babel.format_number`` would)."""
        if not 0 <= number < SMALL_NUMBERS:
            return format_number(number)
        written = self._written
        if written is None:
            written = self._written = {known.tag: tuple(format_decimal(small, locale=known.locale)
                                                        for small in range(SMALL_NUMBERS)) for known in LANGUAGES}
        return written[language.tag][number]


SMALL_NUMBERS = 100
_small_numbers = _SmallNumbers()


def reading_time(version: ArticleVersion | Card) -> str:
    """How long ``version`` (or a search result's card of it) takes to read, in the interface language."""
    minutes = version.reading_minutes
    return translations().ungettext("Reading time: %(num)s minute", "Reading time: %(num)s minutes", minutes) % {
        "num": _small_numbers.write(minutes, current_language())}


def init_app(app: Flask) -> None:
    """Let templates say what a reader must know, and how long an article takes to read; have today's print
    dates ready, from the instance folder if a start today wrote them."""
    _print_dates.keep_in(Path(app.instance_path))
    app.jinja_env.globals.update(reading_time=reading_time, translation_notice=translation_notice,
                                 in_language=in_language)
