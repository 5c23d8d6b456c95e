"""The article page's own content, rendered ahead of time for every article in every offered language.

An article page depends on the article, the language, and, per request, only
on the text size and contrast its links carry and the date a printed copy
shows. So ``patron/article.html`` is rendered once per article and language,
whenever new content or settings are taken, with holes for those (and for the
article's body, which the library already holds), and a request fills them in.

Every article is rendered, read or not: nothing here reflects what a patron
opened. A request that arrives while a new library is being rendered gets its
page rendered on the spot, identical, and not kept.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from ..content import content_holder, get_library
from ..content.model import Article, Library
from ..i18n import render_in_language
from ..languages import Language
from ..layout import Links, SlotTemplate, late, layouts, rendering_in
from ..signals import content_replaced, settings_changed
from .display import ALL_DISPLAY_CHOICES, DisplayChoices

_HIDDEN_INPUTS = {
    display: Markup("").join(Markup('<input type="hidden" name="{}" value="{}">').format(key, value)
                             for key, value in display.query_values().items())
    for display in ALL_DISPLAY_CHOICES
}


def _render(article: Article, language: Language) -> SlotTemplate:
    """The article page's content for ``language``, with holes for what each request brings."""
    library = get_library()
    with rendering_in(language):
        links = Links(layouts().rules, language.tag, late("display_alone"), late("display_after"))
        return SlotTemplate(render_in_language(
            "patron/article.html", link=links, article=article,
            topics=[library.topics[slug] for slug in article.topics if slug in library.topics],
            body=late("body"), printed_on=late("printed_on"), display_inputs=late("display_inputs")))


class ArticlePages:
    """The pre-rendered article pages of one library, rebuilt when the library or the settings change."""

    def __init__(self, app: Flask):
        self.app = app
        self._library: Library | None = None
        self._pages: dict[tuple[str, str], SlotTemplate] = {}
        self._lock = threading.Lock()

    def build(self, *_sender: Any, **_extra: Any) -> None:
        """Render every article in every offered language, for the library being served now."""
        with self.app.test_request_context():
            library = content_holder(self.app).current.library
            pages = {(article.slug, language.tag): _render(article, language)
                     for article in library.articles.values()
                     for language in self.app.config["KIOSK_LANGUAGES"]}
        with self._lock:
            self._library, self._pages = library, pages

    def main(self, article: Article, language: Language, display: DisplayChoices, printed_on: str) -> str:
        """The article page's content for this request."""
        page = self._pages.get((article.slug, language.tag)) if self._library is get_library() else None
        if page is None:
            page = _render(article, language)
        query = display.query
        return page.fill({
            "display_alone": f"?{query}" if query else "", "display_after": f"&{query}" if query else "",
            "display_inputs": _HIDDEN_INPUTS[display], "printed_on": printed_on,
            "body": article.version_for(language.tag).html})


def article_pages(app: Flask | None = None) -> ArticlePages:
    """The pre-rendered article pages of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kiosk_article_pages"]


def init_app(app: Flask) -> None:
    """Render every article page now, and again whenever the content or the settings change."""
    pages = app.extensions["kiosk_article_pages"] = ArticlePages(app)
    pages.build()
    content_replaced.connect(pages.build, sender=app)
    settings_changed.connect(pages.build, sender=app)
