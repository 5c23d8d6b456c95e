"""The patron's pages: welcome, topics, articles (alone or side by side), search."""

from __future__ import annotations

from babel import Locale
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_timedelta

from .content import get_library, get_search
from .i18n import choose_language, current_language, default_language
from .languages import BY_TAG
from .library import Article, TranslationState
from .qr import qr_svg
from .search import MAX_QUERY_CHARACTERS

bp = Blueprint("patron", __name__)


@bp.app_context_processor
def _template_helpers():
    return {"language_named": BY_TAG.get, "kiosk_default_language": default_language(),
            "is_pristine_welcome": request.endpoint == "patron.welcome" and not request.args
            and current_language() == default_language(), "language_display_name": language_display_name,
            "library_topic": get_library().topics.get, "qr_svg": qr_svg,
            "TranslationState": TranslationState}


def language_display_name(tag: str) -> str:
    """The name of language ``tag`` in the interface language (``anglais`` on a French page)."""
    return Locale.parse(BY_TAG[tag].locale).get_display_name(current_language().locale)


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
    return render_template("welcome.html", topics=[t for t in topics if t[1]],
                           articles=library.sorted_for(language))


@bp.get("/<lang>/topics/<topic>")
def topic(topic: str):
    """The articles filed under one topic."""
    library = get_library()
    found = library.topics.get(topic)
    articles = library.articles_in(topic) if found else ()
    if not articles:
        abort(404)
    return render_template("topic.html", topic=found,
                           articles=library.sorted_for(current_language().tag, articles))


@bp.get("/<lang>/articles/<slug>")
def article(slug: str):
    """One article, or with ``?compare=<lang2>`` two languages side by side."""
    found = _article_or_404(slug)
    compare_tag = request.args.get("compare")
    if compare_tag:
        other = choose_language(compare_tag)
        if other is None or other == current_language():
            abort(404)
        if other.tag != compare_tag:
            return redirect(url_for("patron.article", slug=slug, compare=other.tag))
        return render_template("compare.html", article=found, other=other)
    return render_template("article.html", article=found, printed_on=date.today())


@bp.get("/<lang>/about")
def about():
    """What the kiosk erases at the end of a session, and what it cannot."""
    return render_template("about.html", idle_duration=format_timedelta(
        timedelta(seconds=current_app.config["KIOSK_IDLE_SECONDS"]), threshold=2))


@bp.get("/<lang>/search")
def search():
    """Articles matching the patron's words, in the page's language."""
    query = clean_query(request.args.get("q", ""))
    library = get_library()
    slugs = get_search().search(current_language().tag, query) if query else []
    results = [library.articles[slug] for slug in slugs if slug in library.articles]
    return render_template("search.html", query=query, results=results)


def _article_or_404(slug: str) -> Article:
    found = get_library().articles.get(slug)
    if found is None:
        abort(404)
    return found


def clean_query(text: str) -> str:
    """What a patron typed, without control characters or runs of spaces, and of a sane length."""
    printable = "".join(c if c.isprintable() else " " for c in text[:MAX_QUERY_CHARACTERS * 4])
    return " ".join(printable.split())[:MAX_QUERY_CHARACTERS]
