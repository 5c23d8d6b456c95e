"""The article page's own content, rendered ahead of time for every article in every offered language.

An article page depends on the article, the language, and, per request, only
on the text size and contrast its links carry and the date a printed copy
shows. So ``patron/article.html`` is rendered once per article and language,
whenever new content or settings are taken, with holes for those, and a
request fills them in.

The rendered pages are kept in the instance folder (``PageStore``), by the
article's fingerprint, the language, and a digest of everything else they
depend on (the kiosk's code, templates and catalogs, its settings, the topics
and the help list): a restart renders nothing, a new version of the library
renders only the articles that changed, and memory does not grow with the
library. Every article is rendered, read or not, in a background thread, so
the kiosk serves at once: nothing here reflects what a patron opened, and a
request only reads one row of the file, which holds all the page needs (its
title, and its content as UTF-8 text, the article's words in place). A request
that arrives before its page is ready gets it rendered on the spot, identical,
and not kept.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from markupsafe import escape

from ..content.model import Article, ArticleVersion, Library
from ..content.serving import content_holder, get_library, release_free_memory
from ..content.startup_cache import KEPT_UNUSED_SECONDS
from ..content.stored import fingerprints, let_go_of_pages_read, read_row
from ..display import DisplayChoices
from ..handouts.qr import codes_drawn_once
from ..i18n import render_in_language
from ..instance import set_aside
from ..languages import Language
from ..layout import Links, SlotTemplate, late, layouts, rendering_in
from ..shipped import TRANSLATIONS
from ..signals import content_replaced, settings_changed


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
_HOLE = b"\xff"
"""A hole in a stored page, followed by the hole's place in ``REQUEST_HOLES``: a byte UTF-8 never uses,
so a request finds the holes by splitting the page once."""


def _stored(article: Article, language: Language) -> tuple[str, bytes]:
    """The article page's title and content for ``language`` as stored, in UTF-8: the article's own
    words in place, holes left only for what each request brings (``REQUEST_HOLES``)."""
    version = article.version_for(language.tag)
    page = _render(article, language).fill({
        **{name: late(name) for name in REQUEST_HOLES}, "slug": article.slug, "title": version.title,
        "summary": version.summary, "attribution": version.attribution, "body": version.html}).encode()
    for place, name in enumerate(REQUEST_HOLES):
        page = page.replace(late(name).encode(), _HOLE + bytes((place,)))
    return version.title, page


def _filled(page: bytes, values: tuple[str, ...]) -> bytes:
    """A stored page with its holes filled with ``values`` (in the order of ``REQUEST_HOLES``), each escaped."""
    encoded = [str(escape(value)).encode() for value in values]
    parts = page.split(_HOLE)
    for index in range(1, len(parts)):
        part = parts[index]
        parts[index] = encoded[part[0]] + part[1:]
    return b"".join(parts)


KIOSK = Path(__file__).resolve().parent.parent
PAGES_FILE = "article-pages.sqlite"
"""The pre-rendered pages, in the instance folder: library content only, written by the background renderer."""
_BATCH = 200


def _page_id(context: str, article: str, language: str) -> int:
    """A stored page's row number, worked out from what names it: a request finds its row in the table
    itself, never through an index (looking a long key up in one read several more pages of the file)."""
    digest = hashlib.blake2b(f"{context}\0{article}\0{language}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) >> 1  # SQLite's row numbers are signed 64-bit integers


_PAGE_COLUMNS = ("id", "context", "article", "language", "title", "page")
_FILE_PAGE_BYTES = 16384
"""SQLite's page size for the file: most stored article pages fit in one, so a request reads one or two
(stored uncompressed: undoing zlib took longer than the rest of the read)."""
"""Pages rendered between two writes (and two looks at whether the library or settings changed meanwhile)."""


@functools.cache
def _code_key() -> bytes:
    """A digest of everything in the kiosk that a page is rendered with: its code, templates and catalogs."""
    digest = hashlib.blake2b(digest_size=16)
    for folder, pattern in ((KIOSK, "**/*.py"), (KIOSK / "templates", "**/*.html"), (TRANSLATIONS, "**/*.mo")):
        for path in sorted(folder.glob(pattern)):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.digest()


def _context_key(app: Flask, library: Library) -> str:
    """A digest of what every page of ``library`` depends on beside its article: code, settings, topics, help."""
    digest = hashlib.blake2b(_code_key(), digest_size=16)
    settings = sorted((name, repr(value)) for name, value in app.config.items() if name.startswith("KIOSK_"))
    digest.update(pickle.dumps((settings, sorted(library.topics.items()), library.help),
                               protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()


class PageStore:
    """The pre-rendered pages on disk, by article fingerprint, language and context (``_context_key``).

    Only the background renderer writes; requests only read, and nothing they read is kept.
    """

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self.usable = self._open()

    def _open(self) -> bool:
        try:
            self._check()
            return True
        except sqlite3.DatabaseError:
            self._local.writer = None
            set_aside(self.path, "the pre-rendered article pages; they are rendered again")
        except OSError:
            return False
        try:
            self._check()
            return True
        except (OSError, sqlite3.Error):
            return False

    def _check(self) -> None:
        if self.path.is_file() and self.path.stat().st_size == 0:  # cut short: every file written holds a schema
            raise sqlite3.DatabaseError("empty")
        with self._writer() as db:
            # One row holds all a request needs (its title, and its content), so a page costs one read.
            db.execute(f"PRAGMA page_size = {_FILE_PAGE_BYTES}")  # a file being made: any other keeps its own
            db.execute("CREATE TABLE IF NOT EXISTS pages (id INTEGER PRIMARY KEY, context TEXT, article TEXT, "
                       "language TEXT, title TEXT, page BLOB)")  # as _PAGE_COLUMNS
            db.execute("CREATE INDEX IF NOT EXISTS pages_by_key ON pages (context, article, language)")
            # When each article's pages were last used, apart: marking them writes small rows, not the pages.
            db.execute("CREATE TABLE IF NOT EXISTS uses (context TEXT, article TEXT, used_at INTEGER, "
                       "PRIMARY KEY (context, article)) WITHOUT ROWID")
            columns = [row[1] for row in db.execute("PRAGMA table_info(pages)")]
            if columns != list(_PAGE_COLUMNS):  # written by an earlier version of the kiosk: made again
                raise sqlite3.DatabaseError("another format")

    def _writer(self) -> sqlite3.Connection:
        connection = getattr(self._local, "writer", None)
        if connection is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            connection = self._local.writer = sqlite3.connect(self.path, check_same_thread=False,
                                                              cached_statements=0, timeout=30)
            os.chmod(self.path, 0o600)
        return connection

    def _reader(self) -> sqlite3.Connection:
        connection = getattr(self._local, "reader", None)
        if connection is None:
            connection = self._local.reader = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True,
                                                              check_same_thread=False, cached_statements=0,
                                                              timeout=30)
        return connection

    def get(self, article: str, language: str, context: str) -> tuple[str, bytes] | None:
        """The title and page stored for this article, language and context, if it is stored."""
        if not self.usable:
            return None
        try:
            # The names are compared too: two pages whose row numbers are the same cannot be mistaken.
            row = read_row(self._reader(), "SELECT title, page FROM pages WHERE id = ? AND context = ? "
                           "AND article = ? AND language = ?", (_page_id(context, article, language), context,
                                                                article, language))
            if row is None or not (isinstance(row[0], str) and isinstance(row[1], bytes)):
                return None
            return row
        except sqlite3.Error:
            return None  # damaged: the page is rendered on the spot (and the file made again at the next start)

    def present(self, context: str) -> set[tuple[str, str]]:
        """(article, language) of every page stored for ``context``."""
        if not self.usable:
            return set()
        return set(self._reader().execute("SELECT article, language FROM pages WHERE context = ?", (context,)))

    def count(self, context: str, articles: Iterable[str], languages: list[str]) -> int:
        """How many pages of ``articles`` in ``languages`` are stored for ``context``."""
        wanted = set(articles)
        rows = self._reader().execute("SELECT article, language FROM pages WHERE context = ?", (context,))
        return sum(1 for article, language in rows if article in wanted and language in languages)

    def languages_of(self, article: str, context: str) -> set[str]:
        """The languages ``article``'s page is stored in for ``context``."""
        return {language for (language,) in self._reader().execute(
            "SELECT language FROM pages WHERE article = ? AND context = ?", (article, context))}

    def let_go(self) -> None:
        """Make this thread's connections let go of the pages they read or wrote."""
        for name in ("reader", "writer"):
            connection = getattr(self._local, name, None)
            if connection is not None:
                connection.execute("PRAGMA shrink_memory")

    def put(self, rows: list[tuple[str, str, str, str, bytes]]) -> None:
        """Store pages: (context, article, language, title, page)."""
        now = int(time.time())
        with self._writer() as db:
            db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?)",
                           ((_page_id(context, article, language), context, article, language, title, page)
                            for context, article, language, title, page in rows))
            db.executemany("INSERT OR REPLACE INTO uses VALUES (?, ?, ?)",
                           {(context, article, now) for context, article, *_ in rows})

    def keep(self, context: str, articles: set[str]) -> None:
        """Mark the pages of ``articles`` in ``context`` as used now, and remove those unused for a day."""
        now = int(time.time())
        with self._writer() as db:
            db.executemany("INSERT OR REPLACE INTO uses VALUES (?, ?, ?)",
                           ((context, article, now) for article in articles))
            old = now - KEPT_UNUSED_SECONDS
            db.execute("DELETE FROM pages WHERE (context, article) IN "
                       "(SELECT context, article FROM uses WHERE used_at < ?)", (old,))
            db.execute("DELETE FROM uses WHERE used_at < ?", (old,))


class ArticlePages:
    """The pre-rendered article pages of the library served, kept on disk, rendered again for what changed.

    A library read from disk (``StoredArticles``) has its pages stored by each
    article's fingerprint: a restart renders nothing, and a new version renders
    only the articles that changed. Any other library's pages (the instance
    folder cannot be written) are rendered for each request.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._store = PageStore(Path(app.instance_path) / PAGES_FILE)
        # The context of the library being served, under one settings generation, replaced in one step.
        self._context: tuple[Library | None, int, str] = (None, -1, "")
        # Counts settings changes, so that a build begun under the old settings is thrown away.
        self._settings_generation = 0
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._keep_built, name="kiosk-article-pages", daemon=True)

    def start(self) -> None:
        """Build the pages now, in the background, and again whenever ``rebuild`` is called."""
        self._wanted.set()
        self._thread.start()

    def rebuild(self, *_sender: Any, **_extra: Any) -> None:
        """Build the pages of new content; requests render the pages not built yet themselves."""
        self._idle.clear()
        self._wanted.set()

    def forget_and_rebuild(self, *_sender: Any, **_extra: Any) -> None:
        """Stop using the pages at once, as new settings (read aloud, languages) change them, and build them again."""
        self._settings_generation += 1
        self.rebuild()

    def wait_until_built(self, timeout: float = 60.0) -> bool:
        """Wait until every page of the present library and settings is built (for tests and benchmarks)."""
        return self._idle.wait(timeout)

    def _keep_built(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                self._build()
            except Exception as error:  # a damaged file is built again (and announced): never stop rendering
                self.app.logger.warning("article pages: not rendered ahead this time (%s)", type(error).__name__)
            if not self._wanted.is_set():
                self._idle.set()

    def pages_built(self) -> set[tuple[str, str]]:
        """(article fingerprint, language) of every page stored for the library served now (for tests)."""
        return self._store.present(self.context_of(content_holder(self.app).current.library))

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
        try:
            with self.app.test_request_context(), codes_drawn_once():
                self._render_missing(content_holder(self.app).current.library)
        finally:
            # What this round read and rendered is let go of, so a big library's build leaves no room taken.
            let_go_of_pages_read()
            self._store.let_go()
            release_free_memory()

    def _render_missing(self, library: Library) -> None:
        generation = self._settings_generation
        context = self.context_of(library)
        keys = fingerprints(library)
        tags = [language.tag for language in self.app.config["KIOSK_LANGUAGES"]]
        # Mostly every page is there already (a restart): counted, not listed, so nothing big is held,
        # and nothing is written (the pages are marked used, and old ones removed, when some are rendered).
        if self._store.count(context, keys.values(), tags) == len(keys) * len(tags):
            return
        rows: list[tuple[str, str, str, str, bytes]] = []  # (context, article, language, title, page)
        for slug, key in keys.items():
            if self._wanted.is_set() or generation != self._settings_generation:
                return  # new content or settings: build those instead
            missing = [language for language in self.app.config["KIOSK_LANGUAGES"]
                       if language.tag not in self._store.languages_of(key, context)]
            if missing:
                article = library.articles[slug]  # read once for all its languages
                rows += [(context, key, language.tag, *_stored(article, language)) for language in missing]
            if len(rows) >= _BATCH:
                self._store.put(rows)
                rows = []
        self._store.put(rows)
        self._store.keep(context, set(keys.values()))

    def page(self, slug: str, language: Language, display: DisplayChoices, printed_on: str) -> tuple[str, bytes]:
        """The title and content (in UTF-8) of the page of article ``slug`` (which the library served holds)
        for this request: one row read when the page is stored, else rendered on the spot."""
        library = get_library()
        key = fingerprints(library).get(slug)
        stored = self._store.get(key, language.tag, self.context_of(library)) if key else None
        title, page = stored if stored is not None else _stored(library.articles[slug], language)
        query = display.query
        return title, _filled(page, (f"?{query}" if query else "", f"&{query}" if query else "", printed_on))


def article_pages(app: Flask | None = None) -> ArticlePages:
    """The pre-rendered article pages of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kiosk_article_pages"]


def init_app(app: Flask) -> None:
    """Render every article page (in the background), and again whenever the content or the settings change."""
    pages = app.extensions["kiosk_article_pages"] = ArticlePages(app)
    pages.start()
    content_replaced.connect(pages.rebuild, sender=app)
    settings_changed.connect(pages.forget_and_rebuild, sender=app)
