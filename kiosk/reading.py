"""An article as every page that shows one reads it: the patron pages, handouts and read-aloud share this.

The article a page names (or the friendly 404), the second language a page may
ask for (``?compare=`` beside the article, ``?with=`` on a handout), what a
reader must know about the version shown to them, its reading time, and the
date a handout prints.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import babel
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, abort, redirect, request, url_for
from flask_babel import format_number
from markupsafe import Markup, escape

from .atomic import read_json, write_json_atomically
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


class _PrintDates:
    """Today's date as a handout prints it, in every registered language, worked out once a day.

    All languages at once, so nothing held here says which ones were printed in.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._dates: tuple[float, dict[str, str], dict[str, bytes]] = (0.0, {}, {})

    def today(self, language: Language) -> str:
        """Today's long date in ``language`` (never the time)."""
        return self._today()[0][language.tag]

    def today_in_html(self, language: Language) -> bytes:
        """``today``, escaped for HTML and in UTF-8, as a page rendered ahead of time takes it."""
        return self._today()[1][language.tag]

    def _today(self) -> tuple[dict[str, str], dict[str, bytes]]:
        # Compared with the clock, not with date.today(): working out the local date looks at the time zone's
        # file each time, a good part of an article page's cost.
        until, dates, in_html = self._dates
        if self._clock() >= until:
            day = date.today()
            self.take(day, _dates_of(day))
            until, dates, in_html = self._dates
        return dates, in_html

    def take(self, day: date, dates: dict[str, str]) -> None:
        """Write ``dates`` (``day``'s in every registered language, as ``_dates_of`` writes them) from now on."""
        self._dates = (_end_of(day), dates, {tag: str(escape(written)).encode() for tag, written in dates.items()})


def _dates_of(day: date) -> dict[str, str]:
    return {known.tag: format_date(day, "long", locale=known.locale) for known in LANGUAGES}


def _end_of(day: date) -> float:
    return datetime.combine(day + timedelta(days=1), datetime.min.time()).timestamp()


_print_dates = _PrintDates()


def printed_today(language: Language | None = None) -> str:
    """Today's date as a handout prints it, in ``language`` (default: the page's)."""
    return _print_dates.today(language or current_language())


def printed_today_in_html(language: Language) -> bytes:
    """``printed_today``, escaped for HTML and in UTF-8, for a page rendered ahead of time."""
    return _print_dates.today_in_html(language)


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

    def take(self, written: dict[str, tuple[str, ...]]) -> None:
        """Write the small numbers as ``written`` (by ``_numbers_written``) from now on."""
        self._written = written

    def write(self, number: int, language: Language) -> str:
        """``number`` as ``language`` writes it (as ``flask_babel.format_number`` would)."""
        if not 0 <= number < SMALL_NUMBERS:
            return format_number(number)
        written = self._written
        if written is None:
            written = self._written = _numbers_written()
        return written[language.tag][number]


def _numbers_written() -> dict[str, tuple[str, ...]]:
    return {known.tag: tuple(format_decimal(small, locale=known.locale) for small in range(SMALL_NUMBERS))
            for known in LANGUAGES}


SMALL_NUMBERS = 100
_small_numbers = _SmallNumbers()

WRITTEN_FILE = "written-by-babel.json"
"""What Babel writes that pages show in every language (today's print date, the small numbers), kept in the
instance folder by a start, and never written by a request."""


def keep_written(folder: Path) -> None:
    """Take today's print dates and the small numbers from ``folder``'s ``WRITTEN_FILE``, as far as a start wrote
    them (the dates today, the numbers with this Babel); work out the rest and write the file again.

    Babel loads a language's locale data to write its first date or number: for twelve languages, a tenth
    of a second or more of a restart's first page. Only a start writes the file: written at a request, its
    time would tell when the first page of the day was asked for.
    """
    path, day = folder / WRITTEN_FILE, date.today()
    kept = _read_written(path)
    dates = _in_every_language(kept.get("dates"), str) if kept.get("day") == day.isoformat() else None
    numbers = _in_every_language(kept.get("numbers"), list) if kept.get("babel") == babel.__version__ else None
    if numbers is not None and not all(len(written) == SMALL_NUMBERS and all(isinstance(text, str) for text in written)
                                       for written in numbers.values()):
        numbers = None
    if dates is None or numbers is None:
        dates = dates or _dates_of(day)
        numbers = numbers or _numbers_written()
        with contextlib.suppress(OSError):  # a read-only or full instance folder: worked out at each start
            write_json_atomically(path, {"day": day.isoformat(), "dates": dates, "babel": babel.__version__,
                                         "numbers": numbers})
    _print_dates.take(day, dates)
    _small_numbers.take({tag: tuple(written) for tag, written in numbers.items()})


def _read_written(path: Path) -> dict:
    """What ``path`` holds, or nothing; a file that is not what a start writes is set aside, in one line naming it."""
    kept = read_json(path, None)
    if isinstance(kept, dict):
        return kept
    if kept is not None or path.exists():
        set_aside(path, "what Babel writes in every language")
    return {}


def _in_every_language(values: object, kind: type) -> dict | None:
    """``values`` if it holds one of ``kind`` for every registered language (one added since: worked out again)."""
    if not isinstance(values, dict) or not all(isinstance(values.get(known.tag), kind) for known in LANGUAGES):
        return None
    return {known.tag: values[known.tag] for known in LANGUAGES}


def reading_time(version: ArticleVersion | Card) -> str:
    """How long ``version`` (or a search result's card of it) takes to read, in the interface language."""
    minutes = version.reading_minutes
    return translations().ungettext("Reading time: %(num)s minute", "Reading time: %(num)s minutes", minutes) % {
        "num": _small_numbers.write(minutes, current_language())}


def init_app(app: Flask) -> None:
    """Let templates say what a reader must know, and how long an article takes to read; have what Babel writes
    for every page ready, from the instance folder if a start wrote it (``keep_written``)."""
    keep_written(Path(app.instance_path))
    app.jinja_env.globals.update(reading_time=reading_time, translation_notice=translation_notice,
                                 in_language=in_language)
