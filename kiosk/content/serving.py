"""The content being served: the library, its search index, and which version they are.

A request takes the current ``Content`` once (``current_content``) and uses it
to the end, so it never mixes two versions of the library, even when new
content is taken while it runs.

At start-up the kiosk serves as soon as the library is loaded; a search index
that the start-up cache did not have is built in the background (in a forked
process when nothing else runs yet, so the kiosk itself never holds the room
building it takes, and the other core does the work), and a search made
before it is ready waits for it.

The start order matters: ``init_app`` here must run before anything in the
kiosk starts a thread (``content.init_app`` calls it first). The search index
is forked off only while this process runs a single thread; started later, the
fork is silently given up, the index is built in the kiosk itself, and the
cold start slows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g

from ..signals import signals_of
from .loader import load_library
from .manifest import FileState, Waiting, content_files, listing_digest
from .model import Library
from .search import (
    INDEXED_LANGUAGES,
    Card,
    IndexUnreadable,
    SearchIndex,
    indexed,
    remove_unfinished,
    write_index_file,
)
from .startup_cache import StartRecord, StartupCache
from .stored import let_go_of_pages_read
from .words import KeyboardWords, chinese_key, chinese_words, keyboard_words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    """One consistent version of what is served."""

    library: Library
    index: Future = field(repr=False)
    """The library's search index, done or being built."""
    words: Future = field(repr=False)
    """What the on-screen keyboard offers (``KeyboardWords``), done or being worked out."""
    taken_at: datetime
    """When this version started being served (UTC)."""
    version: str = ""
    """The published version (``manifest.json``), or ``local-...`` for a folder edited in place."""
    published: bool = False
    """Whether every file was checked against a published manifest."""

    @property
    def search(self) -> SearchIndex:
        """The search index, once it is built."""
        return self.index.result()

    @property
    def keyboard_words(self) -> KeyboardWords:
        """The titles, topics and Chinese words the keyboard offers, once they are worked out."""
        return self.words.result()


class ContentHolder:
    """Holds the content being served and swaps in a new version in one step."""

    def __init__(self, content: Content, waiting: Waiting | None = None, index_folder: Path | None = None,
                 listed_at_start: Mapping[str, FileState] | None = None, recorded: StartRecord | None = None,
                 cache: StartupCache | None = None):
        self._content = content
        self.waiting = waiting
        """A version arriving that cannot be served yet, or None."""
        self._index_folder = index_folder
        self._index_lock = threading.Lock()
        self.listed_at_start = listed_at_start
        """The content files (sizes and times) as listed just before the start read them, if known:
        a look afterwards then sees any change made while they were read."""
        self.recorded = recorded
        """What the last start recorded, when this one serves it again without reading the folder."""
        self._cache = cache

    @property
    def current(self) -> Content:
        """The content being served now."""
        return self._content

    def start_as(self, version: str, published: bool, waiting: Waiting | None) -> None:
        """Name the version served since the start (known once the folder is judged), and record its name."""
        self._content = dataclasses.replace(self._content, version=version, published=published)
        self.waiting = waiting
        if self._cache is not None:
            self._cache.name_version(version, published)
            self._cache = None

    def index_again(self, damaged: Content) -> Content:
        """Build ``damaged``'s search index again (its file was damaged while served), unless done already."""
        with self._index_lock:
            if self._content is damaged:
                damaged.search.set_aside()
                index = _done(indexed(damaged.library, self._index_folder))
                self._content = dataclasses.replace(damaged, index=index)
            return self._content

    def replace(self, library: Library, version: str = "", published: bool = False,
                cache: StartupCache | None = None) -> Content:
        """Index ``library`` and serve it from now on; requests already running keep the old one. With the
        start-up ``cache`` that holds it, what is worked out for it once (the keyboard's Chinese words) is kept."""
        return self._serve(prepare(library, version, published, self._index_folder, previous=self._content,
                                   cache=cache))

    def replace_with_recorded(self, cache: StartupCache, library: Library, record: StartRecord,
                              in_file: bool) -> Content:
        """Serve from now on the version last recorded in ``cache`` (``library`` and its ``record``, as
        ``cache.trusted`` reads them), as a restart would: its search index as recorded (``in_file``: one was; if
        not, or if it cannot be read, built here, in memory where there was none), its keyboard's words read from
        the cache or worked out."""
        key = cache.index_key(INDEXED_LANGUAGES)
        stored = cache.index(key) if in_file else None
        index = SearchIndex.reading(stored[0], stored[1], INDEXED_LANGUAGES, stored[2]) if stored else None
        if index is None:
            index = SearchIndex.build(library, INDEXED_LANGUAGES, self._index_folder if in_file else None)
            cache.put_index(key, index)  # the next start opens it
        return self._serve(Content(library, _done(index), _keyboard_words(library, cache), datetime.now(UTC),
                                   record.version, record.published))

    def _serve(self, content: Content) -> Content:
        self._content = content  # one assignment: a request sees the old content or the new, never a mix
        self.waiting = None  # what was arriving is what is served now
        return content


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _in_background(work, name: str) -> Future:
    """``work()``, done in a thread of its own; its result when it is done."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # the waiting request shows the error page
            future.set_exception(error)
        finally:  # what the work read from a library on disk, and the room it took, are let go of
            let_go_of_pages_read()
            release_free_memory()
    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def prepare(library: Library, version: str = "", published: bool = False, index_folder: Path | None = None,
            previous: Content | None = None, cache: StartupCache | None = None) -> Content:
    """``library`` with its search index worked out now and its keyboard words being worked out, ready to be served.

    With an ``index_folder`` the index is kept there as a file (see ``SearchIndex.build``);
    with the ``previous`` content too, the index is that content's, changed only where the articles differ.
    With the start-up ``cache`` that holds ``library``, its keyboard's Chinese words are kept there.
    """
    words = _keyboard_words(library, cache)
    index = (indexed(library, index_folder, previous.library, previous.search)
             if previous is not None and previous.index.done() else indexed(library, index_folder))
    return Content(library, _done(index), words, datetime.now(UTC), version, published)


def _keyboard_words(library: Library, cache: StartupCache | None) -> Future:
    """What the keyboard offers for ``library``, being worked out in the background.

    Its Chinese words take pypinyin a process of its own and seconds of a core,
    which a restart's first pages would share: they are worked out once per
    library and kept in the start-up ``cache``, and a restart only reads them.
    """
    def work() -> KeyboardWords:
        key = chinese_key(library) if cache is not None else None
        chinese = cache.kept_chinese_words(key) if key is not None else None
        if chinese is None:
            chinese = chinese_words(library)
            if key is not None and chinese is not None:
                cache.keep_chinese_words(key, chinese)
        return keyboard_words(library, chinese=chinese or ())
    return _in_background(work, "kiosk-keyboard-words")


def _prepare_at_start(library: Library, cache: StartupCache) -> Content:
    """``library`` with the index the last start kept, or one being built in the background."""
    folder = cache.path.parent
    remove_unfinished(folder)  # left by a process cut short while it wrote an index; none is being written yet
    key = cache.index_key(INDEXED_LANGUAGES)
    stored = cache.index(key)
    index = SearchIndex.open(stored[0], stored[1], INDEXED_LANGUAGES, stored[2]) if stored else None
    if index is not None:
        return Content(library, _done(index), _keyboard_words(library, cache), datetime.now(UTC))

    receive = _index_in_a_child(library, folder)  # first: a fork is only safe while no thread runs
    words = _keyboard_words(library, cache)

    def finish() -> SearchIndex:
        written = receive() if receive else None
        index = SearchIndex.published(written, INDEXED_LANGUAGES, tuple(library.articles)) if written else None
        if index is None:  # the child failed, or there was none: made here instead
            # In memory at once if the child's file could not be named (the folder failed meanwhile, and
            # ``published`` said so): writing it again would fail, and say it, again.
            index = SearchIndex.build(library, INDEXED_LANGUAGES, None if written else folder)
        cache.put_index(key, index)  # the next start opens it as it is
        release_free_memory()
        return index

    return Content(library, _in_background(finish, "kiosk-search-index"), words, datetime.now(UTC))


def _index_in_a_child(library: Library, folder: Path):
    """Fork a process that writes the index of ``library`` into a file in ``folder`` (``write_index_file``) and
    sends back its path; returns how to receive that path (None if the child failed).

    Only while this process runs no other thread (a fork copies one thread, and
    another's locks with it); otherwise None, and the caller builds it itself.
    """
    if threading.active_count() > 1 or (os.cpu_count() or 1) < 2:
        return None
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_write_index, args=(library, folder, theirs), name="kiosk-search-index",
                            daemon=True)
    child.start()
    theirs.close()

    def receive() -> Path | None:
        try:
            return Path(ours.recv())
        except (EOFError, OSError):  # the child failed: built here instead
            return None
        finally:
            ours.close()
            child.join()
    return receive


def _write_index(library: Library, folder: Path, connection) -> None:
    try:
        written = write_index_file(library, INDEXED_LANGUAGES, folder)
    except (OSError, IndexUnreadable):  # the folder cannot hold it: the parent says so, and holds it in memory
        connection.close()
        return
    connection.send(str(written))
    connection.close()


def release_free_memory() -> None:
    """Give back to the system the memory that loading and indexing used and no longer need.

    glibc keeps freed memory for the process; ``malloc_trim`` returns it (elsewhere this does nothing).
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    # Looked up once: find_library runs ldconfig in a child process, which every reset paid for.
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def init_app(app: Flask) -> None:
    """Serve the library the last start built, if the start-up cache holds it; else read, validate and index it.

    Runs before any thread of the kiosk starts (see the module's docstring).
    Problems are logged as warnings (they name files, never patrons); the
    kiosk serves everything that is valid. A restart reads no content file,
    nor even lists the folder: the updates watcher compares the folder with the
    files the library was built from, and takes any change, as it does while
    the kiosk runs (a kiosk that does not poll looks once, as it starts). A test
    kiosk, which runs no thread of its own, looks before it serves.
    """
    folder = app.config["KIOSK_CONTENT"]
    cache = StartupCache(app.instance_path)
    trusted = cache.trusted(folder)
    listed, record = None, None
    if trusted is not None and app.testing:
        # No thread will look at the folder: look now, without reading.
        listed = content_files(folder)
        if listing_digest(listed) != trusted[1].listed:
            trusted = None
    if trusted is not None:
        library, record = trusted
        listed = None  # compared: the record's digest stands for it from now on
        signals_of(app).content_loading.send(app)
    else:
        listed = listed if listed is not None else content_files(folder)
        cache = StartupCache(app.instance_path, listed)
        loading = signals_of(app).content_loading
        library = cache.keep(load_library(folder, cache=cache, meanwhile=lambda: loading.send(app)),
                             listing_digest(listed))
        release_free_memory()  # the parsed library is on disk now, and read from there
    cache.forget_unused()
    content = _prepare_at_start(library, cache)
    for problem in library.problems:
        app.logger.warning("content: %s", problem)
    app.extensions["kiosk_content"] = ContentHolder(content, index_folder=cache.path.parent, listed_at_start=listed,
                                                    recorded=record, cache=None if record else cache)
    app.teardown_request(lambda _error: let_go_of_pages_read())


def content_holder(app: Flask | None = None) -> ContentHolder:
    """The holder of ``app``'s content (or the current app's)."""
    return (app or current_app).extensions["kiosk_content"]


def current_content() -> Content:
    """The content this request uses, from its first look to its end."""
    content = g.get("content")
    if content is None:
        content = g.content = content_holder().current
    return content


def get_library() -> Library:
    """The library this request uses."""
    return current_content().library


def get_search() -> SearchIndex:
    """The search index this request uses."""
    return current_content().search


def search_articles(language: str, query: str) -> list[str]:
    """Slugs of the articles matching ``query`` in ``language``, best first."""
    return _searched(lambda index: index.search(language, query))


def search_cards(language: str, query: str) -> list[Card]:
    """The cards of the articles matching ``query`` in ``language``, best first, as a search shows them."""
    return _searched(lambda index: index.cards(language, query))


def _searched(search: Callable[[SearchIndex], list]) -> list:
    """What ``search`` finds in the search index this request uses.

    An index file damaged on disk while it is served is set aside, with one
    log line naming it, and built again from the library (``index_again``),
    and the search asked again.
    """
    try:
        return search(get_search())
    except IndexUnreadable:
        g.content = content_holder().index_again(current_content())
        return search(get_search())
