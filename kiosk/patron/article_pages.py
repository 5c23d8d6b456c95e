"""The article page's own content, rendered ahead of time for every article in every offered language.

An article page depends on the article, the language, and, per request, only
on the text size and contrast its links carry and the date a printed copy
shows. So ``patron/article.html`` is rendered once per article and language,
whenever new content or settings are taken, with holes for those, and a
request fills them in.

The rendered pages are kept in the instance folder (``page_file``), by the
article's fingerprint, the language, and a digest of everything else they
depend on (the kiosk's code, templates and catalogs, its settings, the topics
and the help list): a restart renders nothing, a new version of the library
renders only the articles that changed, and memory does not grow with the
library. Every article is rendered, read or not, in a background thread, so
the kiosk serves at once: nothing here reflects what a patron opened, and a
request reads its page in one read of the file, by an offset held in memory:
the page holds all it needs (its title, and its content as UTF-8 text, the
article's words in place). Each page is kept twice: its content with its holes,
and whole in its layout for the default display choices, the date its only hole,
so that most requests (the kiosk's own links, at the text size it starts with)
are one read and one copy, nothing put together. A request
that arrives before its page is ready gets it rendered on the spot, identical,
and not kept.
"""

from __future__ import annotations

import hashlib
import itertools
import pickle
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from markupsafe import escape

from ..content.model import Article, ArticleVersion, Library
from ..content.serving import content_holder, get_library, release_free_memory
from ..content.startup_cache import KEPT_UNUSED_SECONDS
from ..content.stored import fingerprints, let_go_of_pages_read
from ..display import ALL_DISPLAY_CHOICES, DEFAULT_DISPLAY, DisplayChoices
from ..handouts.qr import codes_drawn_once
from ..i18n import render_in_language
from ..languages import Language
from ..layout import Links, PageAddress, SlotTemplate, ahead_of_time, fill_layout, late, layouts, rendering_in
from ..reading import printed_today_in_html
from ..settings import rendered_settings
from ..shipped import code_digest
from ..signals import signals_of
from .page_file import PAGES_FILE, PageFile, page_name


class _VersionWithHoles:
    """An article version whose words are holes, so the page around them is the same for many articles."""

    title, summary, attribution = late("title"), late("summary"), late("attribution")

    def __init__(self, version: ArticleVersion):
        self._version = version

    def __getattr__(self, name: str) -> Any:
        return getattr(self._version, name)


def _render(article: Article, language: Language) -> SlotTemplate:
    """The article page's content for ``language``, with holes for the article's own words and address
    and for what each request brings (filled by ``_stored``)."""
    library = get_library()
    with rendering_in(language):
        links = Links(layouts().rules, language.tag, late("display_alone"), late("display_after"))
        return SlotTemplate(render_in_language(
            "patron/article.html", link=links, article=article, slug=late("slug"),
            version=_VersionWithHoles(article.version_for(language.tag)),
            topics=[library.topics[slug] for slug in article.topics if slug in library.topics],
            body=late("body"), printed_on=late("printed_on")))


REQUEST_HOLES = ("display_alone", "display_after", "printed_on")
"""What a stored page leaves for each request to fill: the display choices in its links, and the date."""
_HOLES = tuple(bytes((0xF5 + place,)) for place in range(len(REQUEST_HOLES)))
"""Each of ``REQUEST_HOLES`` in a stored page: a byte of its own that UTF-8 never uses (0xF5 to 0xFF), so a
request fills each kind in one replacement, done in C."""


def _stored(article: Article, language: Language) -> tuple[str, bytes]:
    """The article page's title and content for ``language`` as stored, in UTF-8: the article's own
    words in place, holes left only for what each request brings (``REQUEST_HOLES``)."""
    version = article.version_for(language.tag)
    page = _render(article, language).fill({
        **{name: late(name) for name in REQUEST_HOLES}, "slug": article.slug, "title": version.title,
        "summary": version.summary, "attribution": version.attribution, "body": version.html}).encode()
    for name, hole in zip(REQUEST_HOLES, _HOLES, strict=True):
        page = page.replace(late(name).encode(), hole)
    return version.title, page


def _in_layout(slug: str, title: str, page: bytes, language: Language) -> bytes:
    """The page ``_stored`` gave for ``slug`` in its layout for the default display choices, its date left a
    hole (``_DATE_HOLE``): most requests are served it with the date put in, and nothing else done."""
    main = _filled(page, 0, (*_DISPLAY_HOLES[DEFAULT_DISPLAY], _DATE_HOLE))
    return fill_layout(main, title, language=language, display=DEFAULT_DISPLAY, here=PageAddress(f"articles/{slug}"),
                       every_layout=layouts())


def _dated(record: bytes, start: int, printed_on: bytes) -> bytes:
    """The page in its layout that begins at ``start`` in ``record``, its date holes filled with ``printed_on``:
    the bytes read are copied once, into the response."""
    view, pieces, place = memoryview(record), [], start
    while (hole := record.find(_DATE_HOLE, place)) >= 0:
        pieces += (view[place:hole], printed_on)
        place = hole + 1
    pieces.append(view[place:])
    return b"".join(pieces)


def in_layout_name(name: bytes) -> bytes:
    """What the page stored under ``name`` is stored under in its layout for the default display choices."""
    return name + b"\0in its layout"


def _filled(page: bytes, start: int, values: tuple[bytes, ...]) -> bytes:
    """The stored page that begins at ``start`` in ``page`` with its holes filled with ``values`` (in the order
    of ``REQUEST_HOLES``, escaped and encoded)."""
    filled = page[start:]
    for hole, value in zip(_HOLES, values, strict=True):
        filled = filled.replace(hole, value)
    return filled


_DISPLAY_HOLES = {display: tuple(str(escape(f"{joint}{display.query}" if display.query else "")).encode()
                                 for joint in "?&")
                  for display in ALL_DISPLAY_CHOICES}
"""What fills a stored page's ``display_alone`` and ``display_after`` holes, for each display choice."""
_DATE_HOLE = _HOLES[REQUEST_HOLES.index("printed_on")]


_BATCH = 200
"""Pages rendered between two writes (and two looks at whether the library or settings changed meanwhile)."""


def _context_key(app: Flask, library: Library) -> str:
    """A digest of what every page of ``library`` depends on beside its article: code, settings, topics, help,
    static files."""
    digest = hashlib.blake2b(code_digest(), digest_size=16)
    # The static files' digests are in each page's links to them (a page is kept in its layout too).
    digest.update(pickle.dumps((rendered_settings(app.config), sorted(library.topics.items()), library.help,
                                sorted(app.extensions["kiosk_static_hashes"].items())),
                               protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()


def _complete_mark(context: str, keys: Mapping[str, str]) -> bytes:
    """The name of the empty page stored once every page of a library is: its context and every article's
    fingerprint (the pages file only ever loses pages whole, so the mark goes with them)."""
    digest = hashlib.blake2b("\0".join(keys.values()).encode(), digest_size=16).hexdigest()
    return page_name(context, "every page of " + digest, "*")


class ArticlePages:
    """The pre-rendered article pages of the library served, kept on disk, rendered again for what changed.

    A library read from disk (``StoredArticles``) has its pages stored by each
    article's fingerprint: a restart renders nothing, and a new version renders
    only the articles that changed. Any other library's pages (the instance
    folder cannot be written) are rendered for each request.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._store: PageFile | None = None
        """Opened by the background renderer, not at the start: reading the index of a big library's file
        (120,000 pages and more) held up a restart's first page; a page asked for before is rendered on the spot."""
        # The context of the library being served, under one settings generation, replaced in one step.
        self._context: tuple[Library | None, int, str] = (None, -1, "")
        # Counts settings changes, so that a build begun under the old settings is thrown away.
        self._settings_generation = 0
        self._wanted = threading.Event()
        self._idle = threading.Event()

    def start(self) -> None:
        """Build the pages now, in the background, and again whenever ``rebuild`` is called."""
        self._wanted.set()
        # The thread holds the pages weakly, and is woken to end once they are gone: a kiosk made and
        # dropped (in tests, or by an embedding program) leaves neither a thread nor itself behind.
        wanted = self._wanted
        weakref.finalize(self, wanted.set)
        threading.Thread(target=_keep_built, args=(weakref.ref(self), wanted), name="kiosk-article-pages",
                         daemon=True).start()

    def rebuild(self, *_sender: Any, **_extra: Any) -> None:
        """Build the pages of new content; requests render the pages not built yet themselves."""
        self._idle.clear()
        self._wanted.set()

    def forget_and_rebuild(self, *_sender: Any, **_extra: Any) -> None:
        """Stop using the pages at once, as new settings (read aloud, languages) change them, and build them again."""
        # A page is kept in its layout too: the layouts are made for the new settings before any page is, whether
        # or not their own receiver of the signal ran first (blinker calls receivers in no set order). A second
        # build reads back what the first wrote.
        layouts(self.app).build()
        self._settings_generation += 1
        self.rebuild()

    def wait_until_built(self, timeout: float = 60.0) -> bool:
        """Wait until every page of the present library and settings is built (for tests and benchmarks)."""
        return self._idle.wait(timeout)

    def _build_round(self) -> None:
        """One round of building, woken by ``rebuild``: the idle flag is set once no other round is wanted."""
        self._wanted.clear()
        if self._store is None:  # the first round opens the pages file (see ``__init__``)
            self._store = PageFile(Path(self.app.instance_path) / PAGES_FILE, damaged=self.rebuild)
        try:
            self._build()
        except Exception as error:  # a damaged file is built again (and announced): never stop rendering
            self.app.logger.warning("article pages: not rendered ahead this time (%s)", type(error).__name__)
        if not self._wanted.is_set():
            self._idle.set()

    def pages_built(self) -> set[tuple[str, str]]:
        """(article fingerprint, language) of every page stored for the library served now (for tests)."""
        library = content_holder(self.app).current.library
        context = self.context_of(library)
        if self._store is None:
            return set()
        return {(key, language.tag) for key in fingerprints(library).values()
                for language in self.app.config["KIOSK_LANGUAGES"]
                if self._store.has(page_name(context, key, language.tag))}

    def context_of(self, library: Library) -> str:
        """The context key of ``library`` under the present settings (worked out once per library and settings)."""
        known, generation, context = self._context
        if known is library and generation == self._settings_generation:
            return context
        generation = self._settings_generation
        context = _context_key(self.app, library)
        self._context = (library, generation, context)
        return context

    def _build(self) -> None:
        """Render every article in every offered language not stored yet, for the library being served now."""
        if not self._store.usable:
            return
        rendered = True
        try:
            with ahead_of_time(self.app), codes_drawn_once():
                rendered = self._render_missing(content_holder(self.app).current.library)
        finally:
            # What this round read and rendered is let go of, so a big library's build leaves no room taken
            # (a round that found every page kept, as at a restart, read and made nothing to let go of).
            if rendered:
                let_go_of_pages_read()
                release_free_memory()

    def _render_missing(self, library: Library) -> bool:
        """Render and keep the pages ``library`` lacks; whether any article was read and rendered."""
        generation = self._settings_generation
        context = self.context_of(library)
        keys = fingerprints(library)
        complete = _complete_mark(context, keys)
        if not keys or self._store.has(complete):
            return False  # a restart with every page kept: not one of them (120,000 in a big library) is looked up
        rows: list[tuple[bytes, str, bytes]] = []  # (name, title, page)
        rendered = False
        for slug, key in keys.items():
            if self._wanted.is_set() or generation != self._settings_generation:
                return rendered  # new content or settings: build those instead
            missing = [language for language in self.app.config["KIOSK_LANGUAGES"]
                       if not self._store.has(page_name(context, key, language.tag))]
            if missing:
                article = library.articles[slug]  # read once for all its languages
                for language in missing:
                    name, (title, page) = page_name(context, key, language.tag), _stored(article, language)
                    rows += [(name, title, page), (in_layout_name(name), title, _in_layout(slug, title, page, language))]
                rendered = True
            if len(rows) >= _BATCH:
                self._store.put(rows)
                rows = []
        self._store.put([*rows, (complete, "", b"")])
        if not rendered:
            return False  # nothing more to leave out than at the last round
        # The pages of versions and settings no longer served go once they take more room than the rest.
        # (Named one by one, never listed: 120,000 names at 10,000 articles in twelve languages.)
        names = (page_name(context, key, language.tag) for key in keys.values()
                 for language in self.app.config["KIOSK_LANGUAGES"])
        kept = itertools.chain.from_iterable((name, in_layout_name(name)) for name in names)
        self._store.compact(itertools.chain((complete,), kept), KEPT_UNUSED_SECONDS)
        return True

    def whole_page(self, slug: str, language: Language, display: DisplayChoices,
                   here: PageAddress | None) -> bytes | None:
        """The article page of ``slug`` in ``language`` with ``display``, in its layout and in UTF-8, its links
        to itself ``here`` (None: the request's address, with its own arguments); None when the library
        served has no such article.

        The page the kiosk serves most, made with the fewest look-ups: the library served is taken here, once
        (this request reads nothing else of it), and the kiosk's parts through ``self.app``, not the request.
        """
        library = content_holder(self.app).current.library
        if slug not in library.articles:
            return None
        printed_on = printed_today_in_html(language)
        if display == DEFAULT_DISPLAY and here is not None and not here.has_arguments:
            # Kept whole in its layout: the date put in, and nothing else to do.
            stored = self._read(library, slug, language, in_layout=True)
            if stored is not None:
                return _dated(stored[1], stored[2], printed_on)
        title, main = self.page(library, slug, language, display, printed_on)
        return fill_layout(main, title, language=language, display=display, here=here, every_layout=layouts(self.app))

    def page(self, library: Library, slug: str, language: Language, display: DisplayChoices,
             printed_on: bytes) -> tuple[str, bytes]:
        """The title and content (in UTF-8) of the page of article ``slug`` (which ``library``, the one
        served, holds) for this request: one read of the pages file when the page is stored, else rendered on
        the spot."""
        stored = self._read(library, slug, language, in_layout=False)
        title, page, start = stored if stored is not None else (*_stored(library.articles[slug], language), 0)
        return title, _filled(page, start, (*_DISPLAY_HOLES[display], printed_on))

    def _read(self, library: Library, slug: str, language: Language, in_layout: bool) -> tuple[str, bytes, int] | None:
        """The record kept of ``slug``'s page in ``language`` (``PageFile.get``), whole in its layout or its content
        alone; None when it is not kept (yet)."""
        key, store = fingerprints(library).get(slug), self._store
        if not (key and store):
            return None
        name = page_name(self.context_of(library), key, language.tag)
        return store.get(in_layout_name(name) if in_layout else name)


def _keep_built(held: weakref.ref[ArticlePages], wanted: threading.Event) -> None:
    """A round of building each time one is ``wanted``, for as long as the pages ``held`` are in use."""
    while True:
        wanted.wait()
        pages = held()
        if pages is None:
            return
        pages._build_round()
        del pages  # held only weakly between rounds


def article_pages(app: Flask | None = None) -> ArticlePages:
    """The pre-rendered article pages of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kiosk_article_pages"]


def init_app(app: Flask) -> None:
    """Render every article page (in the background), and again whenever the content or the settings change."""
    pages = app.extensions["kiosk_article_pages"] = ArticlePages(app)
    pages.start()
    signals_of(app).content_replaced.connect(pages.rebuild)
    signals_of(app).settings_changed.connect(pages.forget_and_rebuild)
