"""The patron's pages: welcome, topics, articles (alone or side by side), search, and about."""

from __future__ import annotations

from datetime import date
from itertools import zip_longest

from babel.dates import format_date
from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import format_number, gettext
from markupsafe import Markup

from ..content.markdown import split_sections
from ..content.model import Article, ArticleVersion, TranslationState
from ..content.search import MAX_QUERY_CHARACTERS
from ..content.serving import get_library, search_articles
from ..display import display_arguments, display_choices, is_display_query
from ..i18n import (
    choose_language,
    current_language,
    default_language,
    offered_languages,
    render_in_language,
    translations,
)
from ..languages import LANGUAGES, Language
from ..layout import Links, fill_layout, layouts, render_page, rendering_in
from .article_pages import article_pages

bp = Blueprint("patron", __name__)
# Nothing to tell the reader: the original, or a current translation a fluent person checked.
CURRENT_STATES = frozenset({TranslationState.SOURCE, TranslationState.REVIEWED})


class _PrintDates:
    """Today's date as a handout prints it, in every registered language, worked out once a day.

    All languages at once, so nothing held here says which ones were printed in.
    """

    def __init__(self) -> None:
        self._dates: tuple[date | None, dict[str, str]] = (None, {})

    def today(self, language: Language) -> str:
        """Today's long date in ``language`` (never the time)."""
        day, dates = self._dates
        if day != date.today():
            day = date.today()
            dates = {known.tag: format_date(day, "long", locale=known.locale) for known in LANGUAGES}
            self._dates = (day, dates)
        return dates[language.tag]


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


def reading_time(version: ArticleVersion) -> str:
    """How long ``version`` takes to read, in the interface language."""
    minutes = version.reading_minutes
    return translations().ungettext("Reading time: %(num)s minute", "Reading time: %(num)s minutes", minutes) % {
        "num": format_number(minutes)}


@bp.get("/")
def root():
    """Send the browser to the welcome page in the kiosk's default language."""
    return redirect(url_for("patron.welcome", lang=default_language().tag))


@bp.get("/<lang>/")
def welcome():
    """Language choice, topics and every article."""
    library = get_library()
    language = current_language().tag
    topics = [(topic, library.sorted_for(language, library.articles_in(topic.slug)))
              for topic in library.topics.values()]
    pristine = current_language() == default_language() and not request.args
    return render_page("patron/welcome.html", gettext("Welcome"), kind="pristine" if pristine else "patron",
                       topics=[entry for entry in topics if entry[1]], articles=library.sorted_for(language))


@bp.get("/<lang>/topics/<topic>")
def topic(topic: str):
    """The articles filed under one topic."""
    library = get_library()
    found = library.topics.get(topic)
    articles = library.articles_in(topic) if found else ()
    if not articles:
        abort(404)
    return render_page("patron/topic.html", found.name(current_language().tag), topic=found,
                       articles=library.sorted_for(current_language().tag, articles))


@bp.get("/<lang>/articles/<slug>")
def article(slug: str):
    """One article, or with ``?compare=<lang2>`` two languages side by side."""
    found = _article_or_404(slug)
    language = current_language()
    title = found.version_for(language.tag).title
    # Most addresses carry at most the display choices; only others need their arguments read.
    compare_tag = None if is_display_query(request.query_string) else request.args.get("compare")
    if compare_tag:
        other = choose_language(compare_tag)
        if other is None:
            abort(404)
        if other == language or other.tag != compare_tag:
            arguments = {} if other == language else {"compare": other.tag}
            return redirect(url_for("patron.article", slug=slug, **arguments, **display_arguments()))
        side_by_side = gettext("Side by side")
        columns = [(column, found.version_for(column.tag)) for column in (language, other)]
        rows = zip_longest(*(split_sections(version.html) for _, version in columns), fillvalue="")
        return render_page("patron/compare.html", f"{title} · {side_by_side}", article=found, columns=columns,
                           rows=list(rows), other=other, zip=zip)
    display = display_choices()
    main = article_pages().main(found, language, display, printed_today(language))
    return fill_layout(main, title, language=language, display=display)


@bp.get("/<lang>/about")
def about():
    """What the kiosk erases at the end of a session, and what it cannot."""
    seconds = current_app.config["KIOSK_IDLE_SECONDS"]
    # Whole minutes when staff set them, else seconds: each a whole plural-aware sentence, never a
    # formatted duration spliced into one (Polish would read «przez 1 minuta»).
    return render_page("patron/about.html", gettext("About this kiosk and your privacy"),
                       idle_minutes=seconds // 60 if seconds % 60 == 0 else None, idle_seconds=seconds,
                       counting=current_app.config["KIOSK_USAGE_FIGURES"])


@bp.get("/<lang>/search")
def search():
    """Articles matching the patron's words, in the page's language."""
    query = clean_query(request.args.get("q", ""))
    library, language = get_library(), current_language()
    slugs = search_articles(language.tag, query) if query else []
    results = [library.articles[slug] for slug in slugs if slug in library.articles]
    elsewhere = []  # words typed in another language: say where they are found
    if query and not results:
        for other in offered_languages():
            found = len(search_articles(other.tag, query)) if other != language else 0
            if found:
                link = Links.for_display(layouts().rules, other.tag, display_choices())
                elsewhere.append((other, found, link("patron.search", q=query)))
    return render_page("patron/search.html", gettext("Search"), layout_values={"query": query}, query=query,
                       results=results, elsewhere=elsewhere)


def _article_or_404(slug: str) -> Article:
    found = get_library().articles.get(slug)
    if found is None:
        abort(404)
    return found


def clean_query(text: str) -> str:
    """What a patron typed, without control characters or runs of spaces, and of a sane length."""
    printable = "".join(c if c.isprintable() else " " for c in text[:MAX_QUERY_CHARACTERS * 4])
    return " ".join(printable.split())[:MAX_QUERY_CHARACTERS]
