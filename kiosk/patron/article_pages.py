"""The article page's own content, rendered ahead of time for every article in every offered language.

An article page depends on the article, the language, and, per request, only
on the text size and contrast its links carry and the date a printed copy
shows. So ``patron/article.html`` is rendered once per article and language,
whenever new content or settings are taken, with holes for those (and for the
article's body, which the library already holds), and a request fills them in.

Every article is rendered, read or not, in a background thread, so the kiosk
serves at once: nothing here reflects what a patron opened. A request that
arrives before its page is ready gets it rendered on the spot, identical, and
not kept.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from ..content.model import Article, ArticleVersion, Library
from ..content.serving import content_holder, get_library
from ..display import DisplayChoices
from ..i18n import render_in_language
from ..languages import Language
from ..layout import Links, SlotTemplate, late, layouts, rendering_in
from ..signals import content_replaced, settings_changed


class _VersionWithHoles:
    """An article version whose words are holes, so the page around them is the same for many articles."""

    title, summary, attribution = late("title"), late("summary"), late("attribution")

    def __init__(self, version: ArticleVersion):
        self._version = version

    def __getattr__(self, name: str) -> Any:
        return getattr(self._version, name)


def _render(article: Article, language: Language, shared: dict[str, str] | None = None) -> SlotTemplate:
    """The article page's content for ``language``, with holes for what each request brings.

    The article's own words and address are holes too, so the text around
    them is the same on many pages of a language, and ``shared`` keeps it once.
    """
    library = get_library()
    with rendering_in(language):
        links = Links(layouts().rules, language.tag, late("display_alone"), late("display_after"))
        return SlotTemplate(render_in_language(
            "patron/article.html", link=links, article=article, slug=late("slug"),
            version=_VersionWithHoles(article.version_for(language.tag)),
            topics=[library.topics[slug] for slug in article.topics if slug in library.topics],
            body=late("body"), printed_on=late("printed_on")), shared)


class ArticlePages:
    """The pre-rendered article pages of one library, rebuilt when the library or the settings change."""

    def __init__(self, app: Flask):
        self.app = app
        # One tuple, replaced in one step: a reader never pairs one library with another's pages.
        self._built: tuple[Library | None, dict[tuple[str, str], SlotTemplate]] = (None, {})
        # Counts settings changes, so that a build begun under the old settings is thrown away.
        self._settings_generation = 0
        self._swap = threading.Lock()
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._keep_built, name="kiosk-article-pages", daemon=True)

    def start(self) -> None:
        """Build the pages now, in the background, and again whenever ``rebuild`` is called."""
        self._wanted.set()
        self._thread.start()

    def rebuild(self, *_sender: Any, **_extra: Any) -> None:
        """Build the pages again for new content; requests render their own page meanwhile.

        (``main`` only uses pages built from the library being served.)"""
        self._idle.clear()
        self._wanted.set()

    def forget_and_rebuild(self, *_sender: Any, **_extra: Any) -> None:
        """Drop the pages at once, as new settings (read aloud, languages) change them, and build them again."""
        with self._swap:
            self._settings_generation += 1
            self._built = (None, {})
        self.rebuild()

    def wait_until_built(self, timeout: float = 60.0) -> bool:
        """Wait until every page of the present library and settings is built (for tests and benchmarks)."""
        return self._idle.wait(timeout)

    def _keep_built(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            self._build()
            if not self._wanted.is_set():
                self._idle.set()

    def _build(self) -> None:
        """Render every article in every offered language, for the library being served now."""
        generation = self._settings_generation
        with self.app.test_request_context():
            library = content_holder(self.app).current.library
            shared: dict[str, str] = {}
            pages = {(article.slug, language.tag): _render(article, language, shared)
                     for article in library.articles.values()
                     for language in self.app.config["KIOSK_LANGUAGES"]}
        with self._swap:
            if generation == self._settings_generation:
                self._built = (library, pages)

    def main(self, article: Article, language: Language, display: DisplayChoices, printed_on: str) -> str:
        """The article page's content for this request."""
        library, pages = self._built
        page = pages.get((article.slug, language.tag)) if library is get_library() else None
        if page is None:
            page = _render(article, language)
        query = display.query
        version = article.version_for(language.tag)
        return page.fill({
            "display_alone": f"?{query}" if query else "", "display_after": f"&{query}" if query else "",
            "printed_on": printed_on, "slug": article.slug,
            "title": version.title, "summary": version.summary, "attribution": version.attribution,
            "body": version.html})


def article_pages(app: Flask | None = None) -> ArticlePages:
    """The pre-rendered article pages of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kiosk_article_pages"]


def init_app(app: Flask) -> None:
    """Render every article page (in the background), and again whenever the content or the settings change."""
    pages = app.extensions["kiosk_article_pages"] = ArticlePages(app)
    pages.start()
    content_replaced.connect(pages.rebuild, sender=app)
    settings_changed.connect(pages.forget_and_rebuild, sender=app)
