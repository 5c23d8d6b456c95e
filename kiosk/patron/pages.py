"""The patron's pages: welcome, topics, articles (alone or side by side), search, and about."""

from __future__ import annotations

from itertools import zip_longest

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext

from ..content.markdown import split_sections
from ..content.model import Article, ArticleVersion
from ..content.search import clean_query
from ..content.serving import get_library, search_articles, search_cards
from ..display import display_choices, display_of_query
from ..i18n import (
    current_language,
    default_language,
    offered_languages,
)
from ..layout import Links, PageAddress, layouts, render_page
from ..reading import article_or_404, second_language
from .article_pages import article_pages

bp = Blueprint("patron", __name__)

HTML = "text/html; charset=utf-8"
"""An article page's type, given with the bytes: given them alone, werkzeug looks for a type among no headers by
raising and catching an exception, which cost as much as the page's own look-ups."""


@bp.get("/")
def root():
    """Send the browser to the welcome page in the kiosk's default language."""
    return redirect(url_for("patron.welcome", lang=default_language().tag))


@bp.get("/<lang>/")
def welcome():
    """Language choice, topics and every article."""
    library = get_library()
    language = current_language().tag
    articles = library.sorted_for(language)  # read once, for every list on the page
    topics = [(topic, [article for article in articles if topic.slug in article.topics])
              for topic in library.topics.values()]
    pristine = current_language() == default_language() and not request.args
    return render_page("patron/welcome.html", gettext("Welcome"), kind="pristine" if pristine else "patron",
                       topics=[entry for entry in topics if entry[1]], articles=_cards(articles, language))


@bp.get("/<lang>/topics/<topic>")
def topic(topic: str):
    """The articles filed under one topic."""
    library = get_library()
    found = library.topics.get(topic)
    articles = [article for article in library.sorted_for(current_language().tag)
                if topic in article.topics] if found else []
    if not articles:
        abort(404)
    return render_page("patron/topic.html", found.name(current_language().tag), topic=found,
                       articles=_cards(articles, current_language().tag))


def _cards(articles: list[Article], language: str) -> list[tuple[str, ArticleVersion]]:
    """What a list of ``articles`` shows of each (``article_cards``): its slug, and its version for ``language``."""
    return [(article.slug, article.version_for(language)) for article in articles]


@bp.get("/<lang>/articles/<slug>")
def article(slug: str):
    """One article, or with ``?compare=<lang2>`` two languages side by side."""
    language = current_language()
    # Most addresses carry no argument but the display choices, as the kiosk's own links ask: only others
    # need their arguments read.
    display = display_of_query(request.query_string)
    other = None if display is not None else second_language("compare")
    if other is not None:
        found = article_or_404(slug)
        title = found.version_for(language.tag).title
        side_by_side = gettext("Side by side")
        columns = [(column, found.version_for(column.tag)) for column in (language, other)]
        rows = zip_longest(*(split_sections(version.html) for _, version in columns), fillvalue="")
        return render_page("patron/compare.html", f"{title} · {side_by_side}", article=found, columns=columns,
                           rows=list(rows), other=other, zip=zip)
    # Its address is known here, unless it carries arguments of its own, which its links keep.
    page = article_pages().whole_page(slug, language, display or display_choices(),
                                      PageAddress(f"articles/{slug}") if display is not None else None)
    if page is None:
        abort(404)
    return Response(page, content_type=HTML)


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
    language = current_language()
    # Read with the ranking: no article is read.
    results = [(card.slug, card) for card in search_cards(language.tag, query)] if query else []
    elsewhere = []  # words typed in another language: say where they are found
    if query and not results:
        for other in offered_languages():
            found = len(search_articles(other.tag, query)) if other != language else 0
            if found:
                link = Links.for_display(layouts().rules, other.tag, display_choices())
                elsewhere.append((other, found, link("patron.search", q=query)))
    return render_page("patron/search.html", gettext("Search"), layout_values={"query": query}, query=query,
                       results=results, elsewhere=elsewhere)

