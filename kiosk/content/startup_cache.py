"""The library as built from the content folder, kept on disk between starts and read as it is needed.

One SQLite file in the instance folder holds every article folder parsed and
rendered, under a fingerprint of everything its article depends on: its files
(their sizes, times and inodes as the folder was just listed, else their bytes),
the folder's own path, the topics that exist, and the code that parses and
renders it. A changed file, topic list or kiosk
version simply misses, and only that folder is parsed again: a one-article
change in a big library costs one article. An article parsed is written as it
comes, a hundred at a time (``WRITTEN_AT_ONCE``), and from then on read back
from the file: a big library is never held whole while it is built, and a
first build cut short (a power cut) resumes where it stopped. Rows are never
changed, only added, so a request reading a version that is being replaced
still finds its rows; those no version has used for a day are removed at a start.

The file also holds the Chinese words the keyboard offers for the last library
served (``words.chinese_key``: working them out takes pypinyin a second or more
in a process of its own), and what the last start served (``StartRecord``): a digest of
the list of the folder's files (sizes and times) it was built from, the
version's name, each article's fingerprint, the topics, the help list and the
problems, and which search index file goes with it. A restart serves that at once, without reading a single
content file; the updates watcher then compares the folder with that list, as
it does every few seconds, and takes whatever changed while the kiosk was off.

The served library holds only this light index in memory: each article is read
from the file when a request asks for it (``stored.StoredArticles``), so memory
does not grow with the library. The file holds content only (never anything about
patrons) and lives in the owner-only instance folder; a request only ever
reads it. A damaged file is set aside, named in one log line, and built again
(at start, or while the kiosk serves: ``DamagedFile``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..instance import set_aside
from . import loader, markdown, model, narration, stored, timings
from .manifest import FileState, content_files, state_of
from .model import Article, HelpList, Library, Problem, Topic
from .stored import DAMAGED, StoredArticles, StoredVersions, packed, unpacked, version_reader
from .words import title_words

if TYPE_CHECKING:  # search reads fingerprints from here
    from .search import SearchIndex

CACHE_FILE = "content-cache.sqlite"
_FORMAT = 6
KEPT_UNUSED_SECONDS = 86400
"""How long rows no recorded library uses are kept (for another kiosk process on the same instance folder)."""
WRITTEN_AT_ONCE = 100
"""Articles parsed and held before they are written in one transaction (100 are some 20 MiB in twelve languages)."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS folders (key TEXT PRIMARY KEY, result BLOB NOT NULL, used_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS versions (key TEXT, language TEXT, version BLOB NOT NULL,
                                     PRIMARY KEY (key, language)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS titles (word TEXT, language TEXT, key TEXT, position INTEGER, title TEXT);
CREATE INDEX IF NOT EXISTS titles_by_word ON titles (word, language);
CREATE INDEX IF NOT EXISTS titles_by_key ON titles (key);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""


@functools.cache
def _code_key() -> bytes:
    """A digest of the code that parses, renders and stores articles, read once, at the start: files an
    upgrade puts in place while the kiosk runs are the next start's, and must not make the running kiosk
    throw away the rows it serves (another key empties the file)."""
    digest = hashlib.blake2b(str(_FORMAT).encode(), digest_size=16)
    digest.update(Path(__file__).read_bytes())  # how this file is laid out
    for module in (loader, markdown, model, narration, stored, timings):
        digest.update(Path(module.__file__).read_bytes())
    from .. import languages
    from ..speech import parts  # narrations are matched to the parts Listen reads
    for module in (languages, parts):
        digest.update(Path(module.__file__).read_bytes())
    return digest.digest()


def _files_in(folder: Path) -> list[Path]:
    """The entries of ``folder``, or none if there is no such folder."""
    return list(folder.iterdir()) if folder.is_dir() else []


def _connect(path: Path) -> sqlite3.Connection:
    # No statement cache: a cached statement keeps its last bound values.
    connection = sqlite3.connect(path, check_same_thread=False, cached_statements=0, timeout=30)
    os.chmod(path, 0o600)
    return connection


@dataclass(frozen=True)
class StartRecord:
    """What one start or update served, enough to serve it again without reading the content folder."""

    folder: str
    """The content folder, resolved."""
    listed: str
    """A digest of the folder's files as listed just before they were read (``listing_digest``)."""
    version: str
    """The name of the version served (``manifest.json``'s, or ``local-...`` for a folder edited in place)."""
    published: bool
    topics: Mapping[str, Topic]
    keys: tuple[tuple[str, str], ...]
    """(slug, fingerprint) of every article served, in order (no fingerprint for one ``held``)."""
    held: Mapping[str, Article]
    """Articles served as they are nowhere in the file (a translation kept from the last good version)."""
    problems: tuple[Problem, ...]
    help: HelpList
    index: tuple[str, str, int, tuple[str | None, ...]] | None = None
    """(index key, index file name, how many times it was changed in place, the article of each row), once it
    is written."""


class StartupCache:
    """A ``FolderCache`` backed by one SQLite file in the instance folder, and the last start's record."""

    def __init__(self, instance: Path, listed: Mapping[str, FileState] | None = None):
        """``listed``: the content folder's files as just listed (``content_files``); an article folder's
        fingerprint is then taken from their sizes, times and inodes, without reading them."""
        self.path = Path(instance) / CACHE_FILE
        self._code = _code_key()
        self._listed_by_folder: dict[str, list[tuple[str, FileState]]] | None = None
        self._listed_elsewhere: list[tuple[str, FileState]] = []  # topics, help, the manifest
        if listed is not None:
            self._listed_by_folder = {}
            for name, state in listed.items():
                parts = name.split("/", 2)
                if len(parts) == 3 and parts[0] == "articles":
                    self._listed_by_folder.setdefault(parts[1], []).append((parts[2], state))
                else:
                    self._listed_elsewhere.append((name, state))
        self._used: dict[str, loader.FolderResult] = {}
        self._new: dict[str, loader.FolderResult] = {}
        self._unwritten: list[str] = []  # keys of ``_new`` not written yet
        self._writable = True
        self._record: StartRecord | None = None
        self._record_lock = threading.Lock()
        self._connections = stored.ThreadConnections(lambda: _connect(self.path))
        self.hits = 0
        self.usable = self._open()

    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the file (a fork's child opens its own)."""
        return self._connections.get()

    def _open(self) -> bool:
        """Open the file, made afresh if another version of the kiosk wrote it; set aside if it is damaged."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return self._check()
        except DAMAGED:
            self._connections.forget()
            set_aside(self.path, "the start-up cache; the content is read afresh")
        except OSError:  # a read-only instance folder: everything is parsed at each start
            return False
        try:
            return self._check()
        except (OSError, *DAMAGED):
            return False

    def _check(self) -> bool:
        if self.path.is_file() and self.path.stat().st_size == 0:  # cut short: every file written holds a schema
            raise sqlite3.DatabaseError("empty")
        db = self._db()
        with db:
            db.executescript(_SCHEMA)
            code = db.execute("SELECT value FROM state WHERE name = 'code'").fetchone()
            if code is None or code[0] != self._code:  # another version of the kiosk wrote it
                db.execute("DELETE FROM folders")
                db.execute("DELETE FROM state")
                db.execute("INSERT INTO state VALUES ('code', ?)", (self._code,))
                return True
            record = db.execute("SELECT value FROM state WHERE name = 'start'").fetchone()
        self._record = pickle.loads(record[0]) if record else None
        if self._record is not None and not isinstance(self._record, StartRecord):
            raise TypeError("not a start record")
        return True

    def fingerprint(self, folder: Path, topics: frozenset[str] | None, real_parent: Path | None = None) -> str:
        """A key over the folder's real path and files, the topic list and the code.

        With the folder's files listed, their sizes, times and inodes stand for them (as for the
        updates watcher, which takes a new version when any of them changes); else they are read.
        ``real_parent``, the folder's parent with every link followed, saves following them again
        when the folder itself is no link.
        """
        digest = hashlib.blake2b(self._code, digest_size=20)
        topic_list = ",".join(sorted(topics)) if topics is not None else "\0unchecked"
        real = real_parent / folder.name if real_parent is not None and not folder.is_symlink() else folder.resolve()
        digest.update(str(real).encode() + b"\0" + topic_list.encode() + b"\0")
        listed = self._listed_by_folder.get(folder.name) if self._listed_by_folder is not None else None
        if listed is not None:
            digest.update(b"listed\0")
            for name, state in sorted(listed):
                digest.update(f"{name}\0{state.size}\0{state.modified_ns}\0{state.inode}\n".encode())
            return digest.hexdigest()
        # The article's own files, and its recordings and their timings (narration.FOLDER).
        for path in sorted([*folder.iterdir(), *_files_in(folder / narration.FOLDER)]):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0")
                if path.suffix.lower() in narration.AUDIO_TYPES and path.parent.name == narration.FOLDER:
                    head, tail = narration.checked_bytes(path)
                    digest.update(str(path.stat().st_size).encode() + b"\0" + head + b"\0" + tail)
                else:
                    digest.update(path.read_bytes())
                digest.update(b"\0")
        return digest.hexdigest()

    def changed_since_listed(self, folder: Path) -> bool:
        """Whether a file this load read has changed since the folder was listed (while it was read): each
        article folder it parsed is listed again, and every file outside the articles looked at again. The
        rest was taken from this file by the listing itself; a change there is seen at the next look."""
        if self._listed_by_folder is None:
            return False
        changed = [key for key, result in self._new.items()
                   if content_files(folder / "articles" / result.slug) != dict(self._listed_by_folder.get(result.slug, ()))]
        if changed:
            # Written under their files as listed, they may hold what the files say now: they go.
            self._remove(changed)
            return True
        return any(state_of(folder / name) != state for name, state in self._listed_elsewhere)

    def get(self, key: str) -> loader.FolderResult | None:
        """The stored result for ``key``, if an earlier load stored one."""
        if not self.usable:
            return None
        try:
            row = self._db().execute("SELECT result FROM folders WHERE key = ?", (key,)).fetchone()
            result = unpacked(row[0], version_reader(self._db, self.path, key)) if row else None
        except DAMAGED:  # one damaged row: that folder is parsed again
            return None
        if result is not None:
            self.hits += 1
            self._used[key] = result
        return result

    def put(self, key: str, result: loader.FolderResult) -> loader.FolderResult:
        """Keep ``result`` for later loads; the same result, whose article's versions are let go once they
        are written (every ``WRITTEN_AT_ONCE`` articles) and read back from the file when asked for."""
        article = result.article
        if article is not None and self.usable and self._writable:
            versions = StoredVersions(tuple(article.versions), version_reader(self._db, self.path, key),
                                      article.versions)
            result = replace(result, article=replace(article, versions=versions))
        self._used[key] = self._new[key] = result
        self._unwritten.append(key)
        if len(self._unwritten) >= WRITTEN_AT_ONCE:
            self._write_unwritten()
        return result

    def _write_unwritten(self) -> bool:
        """Write the results put since the last write, and let go of their versions; False if the file cannot
        be written (they are then held, and so is every result put after)."""
        if not self._unwritten:
            return True
        if not (self.usable and self._writable):
            return False
        try:
            db = self._db()
            with db:
                now = int(time.time())
                for key in self._unwritten:
                    result = self._new[key]
                    data, versions = packed(result)
                    db.execute("INSERT OR IGNORE INTO folders VALUES (?, ?, ?)", (key, data, now))
                    db.executemany("INSERT OR IGNORE INTO versions VALUES (?, ?, ?)",
                                   ((key, tag, version) for tag, version in versions))
                    if result.article is not None and not db.execute("SELECT 1 FROM titles WHERE key = ? LIMIT 1",
                                                                     (key,)).fetchone():
                        db.executemany("INSERT INTO titles VALUES (?, ?, ?, ?, ?)", (
                            (word, tag, key, position, version.title)
                            for position, (tag, version) in enumerate(result.article.versions.items())
                            for word in title_words(version.title)))
        except (OSError, sqlite3.Error):  # a read-only or full instance folder costs memory, not service
            self._writable = False
            return False
        for key in self._unwritten:
            versions = self._new[key].article.versions if self._new[key].article is not None else None
            if isinstance(versions, StoredVersions):
                versions.let_go()
        self._unwritten = []
        return True

    def _remove(self, keys: list[str]) -> None:
        """Remove the rows of ``keys``, written by this load and used by no library yet."""
        try:
            db = self._db()
            with db:
                for table in ("folders", "versions", "titles"):
                    db.executemany(f"DELETE FROM {table} WHERE key = ?", ((key,) for key in keys))
        except sqlite3.Error:
            pass  # unused, they are removed after a day

    def index_key(self, languages: Iterable[str]) -> str:
        """A key over every article of the library last recorded, in order, and the languages indexed."""
        digest = hashlib.blake2b(self._code, digest_size=20)
        digest.update(",".join(languages).encode() + b"\0")
        if self._record is not None:
            digest.update("\0".join(key for _, key in self._record.keys).encode() + b"\0")
            if self._record.held:  # rare: kept from a last good version, and not in the file
                digest.update(pickle.dumps(sorted(self._record.held.items()), protocol=pickle.HIGHEST_PROTOCOL))
        return digest.hexdigest()

    def trusted(self, folder: Path) -> tuple[Library, StartRecord] | None:
        """The library the last start (or update) served from ``folder``, read from nothing but this file.

        None when there is no such record (first start, another folder, another kiosk version).
        """
        record = self._record
        if record is None or record.folder != str(Path(folder).resolve()):
            return None
        return self._library(Path(folder), record), record

    def _library(self, folder: Path, record: StartRecord) -> Library:
        return Library(folder=folder, topics=model.freeze(record.topics),
                       articles=StoredArticles(self.path, record.keys, record.held),
                       problems=record.problems, help=record.help)

    def keep(self, library: Library, listed: str, version: str = "", published: bool = False) -> Library:
        """Write what this load parsed, and record ``library`` as served (named ``version`` if it is known yet,
        its folder as listed before it was read: ``listed``, the listing's ``listing_digest``); the same library,
        read from the file.

        With a file that cannot be written, ``library`` itself (held in memory) is returned.
        """
        results = {result.slug: (key, result) for key, result in self._used.items()}
        keys, held = [], {}
        for slug, article in library.articles.items():
            key, result = results.get(slug, (None, None))
            if result is not None and result.article is article:
                keys.append((slug, key))
            else:
                keys.append((slug, ""))
                held[slug] = article
        record = StartRecord(str(Path(library.folder).resolve()), listed, version, published,
                             dict(library.topics), tuple(keys), held, library.problems, library.help)
        if not self._write_unwritten():
            return library
        try:
            db = self._db()
            with db:
                now = int(time.time())
                db.executemany("UPDATE folders SET used_at = ? WHERE key = ?", ((now, key) for _, key in keys if key))
                db.execute("INSERT OR REPLACE INTO state VALUES ('start', ?)",
                           (pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL),))
        except (OSError, sqlite3.Error):  # a read-only or full instance folder costs memory, not service
            return library
        self._new, self._used = {}, {}  # written: the library is read from the file from now on
        # The listing it was read by is let go of too: the keyboard's words, worked out in the background with
        # this cache to keep them in, held 120,000 files' states (tens of MiB at 10,000 articles) until done.
        self._listed_by_folder, self._listed_elsewhere = None, []
        self._record = record
        return self._library(Path(library.folder), record)

    def forget_unused(self) -> None:
        """Remove the rows no library has used for a day (a request, here or in another process, may read the rest)."""
        try:
            db = self._db()
            with db:
                removed = db.execute("DELETE FROM folders WHERE used_at < ?",
                                     (int(time.time()) - KEPT_UNUSED_SECONDS,)).rowcount
                if removed:  # their rows only: looking through them all took a quarter of a second at 10,000 articles
                    db.execute("DELETE FROM versions WHERE key NOT IN (SELECT key FROM folders)")
                    db.execute("DELETE FROM titles WHERE key NOT IN (SELECT key FROM folders)")
        except sqlite3.Error:
            pass  # removed at another start

    def index(self, key: str) -> tuple[Path, tuple[str | None, ...], int] | None:
        """The search index file recorded for ``key``, the article of each row, and how many times the file was
        changed in place (``SearchIndex.open`` checks the file against it), if it is there."""
        stored = self._record.index if self._record is not None else None
        if stored is None or stored[0] != key:
            return None
        path = self.path.parent / stored[1]
        return (path, stored[3], stored[2]) if path.is_file() else None

    def name_version(self, version: str, published: bool) -> None:
        """Name the version of the library last recorded (known once the folder is judged, after it is read)."""
        self._change_record(lambda record: replace(record, version=version, published=published))

    def _change_record(self, change: Callable[[StartRecord], StartRecord]) -> None:
        """Record ``change`` of the record, if there is one. One change at a time: a start names its version while
        its search index, built in the background, is recorded, and neither may write over the other."""
        with self._record_lock:
            if self._record is None:
                return
            record = change(self._record)
            try:
                db = self._db()
                with db:
                    db.execute("INSERT OR REPLACE INTO state VALUES ('start', ?)",
                               (pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL),))
            except sqlite3.Error:
                return
            self._record = record

    def put_index(self, key: str, index: SearchIndex) -> None:
        """Record ``index`` as the search index of the library last recorded (under ``key``), if it is a file."""
        if index.path is not None:
            self._change_record(lambda record: replace(record, index=(key, index.path.name, index.generation,
                                                                      index.slugs)))

    def kept_chinese_words(self, key: str) -> tuple[tuple[str, str], ...] | None:
        """The keyboard's Chinese words kept under ``key`` (``words.chinese_key``), if the last kept are those."""
        try:
            row = self._db().execute("SELECT value FROM state WHERE name = 'chinese words'").fetchone()
            kept_key, words = pickle.loads(row[0]) if row else (None, None)
        except DAMAGED:  # worked out again, and kept over it
            return None
        if kept_key != key or not isinstance(words, tuple):
            return None
        return words

    def keep_chinese_words(self, key: str, words: tuple[tuple[str, str], ...]) -> None:
        """Keep the keyboard's Chinese words of a library under ``key``, in place of any kept before."""
        try:
            db = self._db()
            with db:
                db.execute("INSERT OR REPLACE INTO state VALUES ('chinese words', ?)",
                           (pickle.dumps((key, words), protocol=pickle.HIGHEST_PROTOCOL),))
        except (OSError, sqlite3.Error):
            pass  # a read-only or full instance folder: worked out again at the next start
