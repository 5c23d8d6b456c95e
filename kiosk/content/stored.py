"""The library read from the start-up cache's file as requests need it: articles, their versions, their titles.

``StoredArticles`` is the ``Library.articles`` of a library kept on disk: it holds
each article's slug and fingerprint, and reads an article when it is asked for;
an article's versions are read one by one (``StoredVersions``), and the titles the
keyboard offers are looked up by their words (``StoredTitles``). Nothing read is
kept beyond the request that read it, and SQLite lets go of the pages a request
read when it ends (``let_go_of_pages_read``), so memory never says what was read.
The rows read are never changed (``startup_cache`` only adds rows), so a library
read while a new version is taken stays whole. A file damaged while it is served
raises ``DamagedFile`` (the updates watcher then builds the library again).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from . import loader, model
from .model import Article, ArticleVersion, Library
from .words import Completion

DAMAGED = (sqlite3.DatabaseError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError)
"""What reading a damaged file (cut short, overwritten, not a database, another format) can raise."""
_READ_AT_ONCE = 500
"""Articles read in one query by ``StoredArticles.read_all`` (SQLite takes at most 32,766 values in one)."""


def connect_to_read(path: Path) -> sqlite3.Connection:
    """A connection that only reads ``path``."""
    # No statement cache: a cached statement keeps its last bound values (the last article read).
    # Not memory-mapped: a file cut short under a mapping would end the process, not one request.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False,
                           cached_statements=0, timeout=30)


class ThreadConnections:
    """A connection to an SQLite file for each thread (and again in a fork's child), opened when first asked for."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]):
        self._connect = connect
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            connection = self._local.connection = self._connect()
            self._local.pid = os.getpid()
        return connection

    def forget(self) -> None:
        """Drop this thread's connection (its file was set aside): the next ``get`` opens the new file."""
        self._local.connection = None


class DamagedFile(sqlite3.DatabaseError):
    """The start-up cache's file was damaged while it was served (overwritten, cut short)."""

    def __init__(self, path: Path):
        super().__init__(f"{path} is damaged")
        self.path = path


_READ_HERE = threading.local()


def read_row(connection: sqlite3.Connection, sql: str, key: tuple) -> tuple | None:
    """One row read, by a connection that lets go of the pages it read when the request ends."""
    row = connection.execute(sql, key).fetchone()
    readers = getattr(_READ_HERE, "connections", None)
    if readers is None:
        readers = _READ_HERE.connections = set()
    readers.add(connection)
    return row


def read_one(connection: sqlite3.Connection, sql: str, key: tuple) -> bytes | None:
    """One value read, as ``read_row`` reads it."""
    row = read_row(connection, sql, key)
    return row[0] if row else None


def let_go_of_pages_read() -> None:
    """Make every connection this thread read through let go of the pages it read (at the end of each request).

    SQLite keeps the pages a read touched; dropped, they never hint at what was read.
    """
    readers = getattr(_READ_HERE, "connections", None)
    while readers:
        readers.pop().execute("PRAGMA shrink_memory")


def _dumps(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def packed(result: loader.FolderResult) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A folder's result as stored: the article without its versions, and each version on its own
    (a page needs one language, and reading twelve would cost twelve times as much)."""
    article = result.article
    if article is None:
        return _dumps(result), []
    shell = replace(result, article=replace(article, versions=tuple(article.versions)))
    return _dumps(shell), [(tag, _dumps(version)) for tag, version in article.versions.items()]


def unpacked(data: bytes, read_version: Callable[[str], ArticleVersion],
              read_already: Mapping[str, ArticleVersion] | None = None) -> loader.FolderResult:
    """A folder's result as ``packed`` stored it, its versions read by ``read_version`` when asked for."""
    result = pickle.loads(data)
    if not isinstance(result, loader.FolderResult):
        raise TypeError("not a folder's result")
    if result.article is None:
        return result
    versions = StoredVersions(result.article.versions, read_version, read_already)
    return replace(result, article=replace(result.article, versions=versions))


class StoredVersions(Mapping):
    """An article's language versions, each read from the file the first time it is asked for.

    It lives as long as the article read for one request (or one load), and goes with it.
    """

    def __init__(self, tags: tuple[str, ...], read: Callable[[str], ArticleVersion],
                 read_already: Mapping[str, ArticleVersion] | None = None):
        self._tags = tags
        self._read = read
        self._versions: dict[str, ArticleVersion] = dict(read_already or {})
        self._holds_what_it_reads = True

    def __getitem__(self, tag: str) -> ArticleVersion:
        version = self._versions.get(tag)
        if version is None:
            if tag not in self._tags:
                raise KeyError(tag)
            version = self._read(tag)
            if self._holds_what_it_reads:
                self._versions[tag] = version
        return version

    def __iter__(self) -> Iterator[str]:
        return iter(self._tags)

    def __len__(self) -> int:
        return len(self._tags)

    def __contains__(self, tag) -> bool:
        return tag in self._tags

    def let_go(self) -> None:
        """Let go of the versions held (they are in the file now), and hold none read from now on: each is read
        again whenever it is asked for. Such a mapping may outlive a request (in a library held in memory when
        the rest of it could not be written), and what it held would tell which articles were read."""
        self._versions.clear()
        self._holds_what_it_reads = False

    def __reduce__(self):  # sent or stored whole: every version read
        return (model.FrozenMap, (dict(self.items()),))


def version_reader(connection: Callable[[], sqlite3.Connection], path: Path,
                    key: str) -> Callable[[str], ArticleVersion]:
    """How to read a version of the article stored under ``key``, by its language, through ``connection()``."""
    def read(tag: str) -> ArticleVersion:
        try:
            data = read_one(connection(), "SELECT version FROM versions WHERE key = ? AND language = ?", (key, tag))
            version = pickle.loads(data) if data is not None else None
        except DAMAGED as error:
            raise DamagedFile(path) from error
        if not isinstance(version, ArticleVersion):
            raise DamagedFile(path)
        return version
    return read


class StoredArticles(Mapping):
    """The articles of one library, each read from the start-up cache's file when it is asked for.

    Immutable, like the rest of a ``Library``: the rows it reads are never changed.
    Nothing is kept once read, so what is held never says which articles were read.
    """

    def __init__(self, path: Path, keys: Iterable[tuple[str, str]], held: Mapping[str, Article]):
        self._path = path
        self._keys = dict(keys)
        self._held = dict(held)
        self.keys_on_disk: Mapping[str, str] = model.freeze({slug: key for slug, key in self._keys.items() if key})
        """The fingerprint of each article read from the file, by slug (what is made from it is kept by it)."""
        self._connections = ThreadConnections(lambda: connect_to_read(self._path))

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection to the file."""
        return self._connections.get()

    def __getitem__(self, slug: str) -> Article:
        held = self._held.get(slug)
        if held is not None:
            return held
        key = self._keys[slug]
        try:
            data = read_one(self.reader(), "SELECT result FROM folders WHERE key = ?", (key,))
            if data is None:
                raise DamagedFile(self._path)
            return unpacked(data, version_reader(self.reader, self._path, key)).article
        except DamagedFile:
            raise
        except DAMAGED as error:
            raise DamagedFile(self._path) from error

    def read_all(self, language: str, slugs: Iterable[str] | None = None) -> list[Article]:
        """Every article (or those of ``slugs`` there are, in that order), read in a few queries with its
        version in ``language`` (for lists: read one by one, ten thousand articles would take seconds)."""
        articles: list[Article] = []
        slugs = list(self._keys) if slugs is None else [slug for slug in slugs if slug in self._keys]
        connection = self.reader()
        try:
            for start in range(0, len(slugs), _READ_AT_ONCE):
                keys = [self._keys[slug] for slug in slugs[start:start + _READ_AT_ONCE] if self._keys[slug]]
                marks = ",".join("?" * len(keys))
                shells = dict(connection.execute(f"SELECT key, result FROM folders WHERE key IN ({marks})", keys))
                versions = dict(connection.execute(
                    f"SELECT key, version FROM versions WHERE language = ? AND key IN ({marks})", (language, *keys)))
                for slug in slugs[start:start + _READ_AT_ONCE]:
                    key = self._keys[slug]
                    if not key:
                        articles.append(self._held[slug])
                        continue
                    if key not in shells:
                        raise DamagedFile(self._path)
                    read_already = {language: pickle.loads(versions[key])} if key in versions else None
                    result = unpacked(shells[key], version_reader(self.reader, self._path, key), read_already)
                    articles.append(result.article)
        except DamagedFile:
            raise
        except DAMAGED as error:
            raise DamagedFile(self._path) from error
        finally:
            connection.execute("PRAGMA shrink_memory")
        return articles

    def keys_with_places(self) -> Iterable[tuple[str, str]]:
        """(slug, fingerprint, empty for an article held in memory) of every article, in library order."""
        return self._keys.items()

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, slug) -> bool:
        return slug in self._keys

    def get(self, slug, default=None):
        """The article ``slug``, or ``default``."""
        return self[slug] if slug in self._keys else default

    def __reduce__(self):
        return (StoredArticles, (self._path, tuple(self._keys.items()), self._held))


TITLE_ROWS_READ = 5000
"""Titles read for each word typed, in the page's language and in the others (a word of one letter starts many)."""


class StoredTitles:
    """The titles of a ``StoredArticles``' articles, found in the file by the words that start them (``TitlesOnDisk``).

    What is typed is only compared, never kept: no statement is cached, and the pages read are let go.
    """

    def __init__(self, articles: StoredArticles):
        self._articles = articles
        self._places = {key: (index, slug) for index, (slug, key) in enumerate(articles.keys_with_places()) if key}

    def holds(self, slug: str) -> bool:
        """Whether the titles of article ``slug`` are looked up in the file."""
        return slug in self._articles.keys_on_disk

    def find(self, words: list[str], language: str) -> list[tuple[tuple[int, int], Completion]]:
        """See ``TitlesOnDisk.find``."""
        connection = self._articles.reader()
        found: set[tuple[str, str, int, str]] | None = None
        try:
            for word in dict.fromkeys(words):
                rows: set[tuple[str, str, int, str]] = set()
                for comparison in ("=", "!="):
                    rows.update(connection.execute(
                        f"SELECT key, language, position, title FROM titles WHERE word >= ? AND word < ? "
                        f"AND language {comparison} ? LIMIT ?", (word, word + "\U0010ffff", language, TITLE_ROWS_READ)))
                found = rows if found is None else found & rows
        finally:
            connection.execute("PRAGMA shrink_memory")
        completions = []
        for key, tag, position, title in found or ():
            place = self._places.get(key)
            if place is not None:  # a title of this library, not of another version's
                completions.append(((place[0], position), Completion(title, tag, "patron.article", place[1])))
        return completions


def fingerprints(library: Library) -> Mapping[str, str]:
    """The fingerprint of each article of ``library`` read from disk, by slug (none for a library held in memory).

    What is made from an article (its rendered page, its rows in the search index) is kept by it.
    """
    articles = library.articles
    return articles.keys_on_disk if isinstance(articles, StoredArticles) else {}
