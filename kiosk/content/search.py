"""Full-text search over the library, in each language, with SQLite FTS5.

The index is built with each library from the text each language's readers
see (the translation, or the source where there is none), and served from a
read-only file in the instance folder. A new version of a library read from
disk is indexed by changing that file in place: only the articles that changed
are taken out and put in again, written to SQLite's write-ahead log, so a
one-article change in a big library costs one article, in time and in what is
written to the disk (a copy of the whole file, 324 MiB at 10,000 articles, was
written before). Requests that took the version before the change keep reading
it as it was: its connection holds one read of the file open from just before
the change until it is let go of (``SearchIndex.pin``). The tables are
contentless: the text itself is already in the library, so only the index is
kept, with what a result shows of each article (its card: title, summary,
reading time), so a search reads no article (a body is many times a card, and
reading twenty took about as long as ranking them). Nor do they keep each
article's length: bm25 looked it up for every match, half of what ranking a
common word cost at 10,000 articles. So an article changed is taken out with
the words it was indexed with (the version before the change, folded again the
same way: an index made by other code is built again, ``MADE_BY``), and a match ranks
by where its words are: in the title ten times what in the body, in the summary
four times, the rarer words more.
The index is read and written by the SQLite that APSW brings (``apsw``), not
Debian's: its FTS5 ranks a query's matches in about 0.6 of the time Debian's
3.40 takes (1.7 against 3.0 ms, the bench's 400 searches at 10,000 articles),
and ranking every match is most of what a search costs in a big library.
Text and queries are folded the same way (case, accents, Arabic vowel marks);
runs of Chinese, Japanese or Korean characters are indexed as overlapping
pairs, so a two-character word is found without a word segmenter. Queries are
never passed to FTS5 as syntax: each word becomes a quoted term, so quotes,
``*``, ``NEAR(`` or brackets are just text.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import apsw

from ..atomic import fsync_folder
from ..instance import set_aside
from ..languages import LANGUAGES
from .markdown import CJK_CHARACTER, fold_for_search, plain_text
from .model import Article, ArticleVersion, Library
from .stored import DamagedFile, fingerprints

log = logging.getLogger(__name__)
MAX_QUERY_CHARACTERS = 200
MAX_QUERY_TERMS = 12
MAX_RESULTS = 20
INDEXED_LANGUAGES = tuple(language.tag for language in LANGUAGES)
"""Every registered language is indexed, so staff can offer another one without a restart."""
CHANGED_IN_PLACE = 8
"""Articles taken out or put in that an index is always changed for, rather than built whole (or a quarter)."""
INDEX_FILE_PREFIX = "search-index-"
"""Index files in the instance folder are named by this and a name never used before (with SQLite's ``-wal``
and ``-shm`` beside each, which belong to it alone)."""
UNFINISHED = ".sqlite.unfinished"
"""How an index file being written ends (its name starts with a dot and ``INDEX_FILE_PREFIX``)."""
WRITING_CACHE_KIB = 65536
"""SQLite's cache while an index file is written: what the writing holds in memory."""
INDEX_LAYOUT = 4
"""How an index file is laid out (its ``PRAGMA user_version``): a file laid out otherwise is built again."""
MADE_BY = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16).hexdigest()
"""The code an index file was made by, kept in it: an article is taken out of an index by the words it was put
in with, folded by this file, so a file made by other code is built again."""
_INDEX_FILES_LOCK = threading.Lock()
_TERM = re.compile(rf"[{CJK_CHARACTER}]+|[^\W{CJK_CHARACTER}]+")
_CJK_RUN = re.compile(rf"[{CJK_CHARACTER}]+")


def clean_query(text: str) -> str:
    """What a patron typed, without control characters or runs of spaces, and of a sane length."""
    printable = "".join(c if c.isprintable() else " " for c in text[:MAX_QUERY_CHARACTERS * 4])
    return " ".join(printable.split())[:MAX_QUERY_CHARACTERS]


def _pairs(run: str) -> list[str]:
    """``"ABCD"`` -> ``["AB", "BC", "CD", "D"]``: every character starts some token."""
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]


def prepare_text(text: str) -> str:
    """Fold ``text`` and split CJK runs into character pairs, ready to index."""
    return _CJK_RUN.sub(lambda m: " " + " ".join(_pairs(m.group())) + " ", fold_for_search(text))


def match_expression(query: str) -> str | None:
    """Turn what a patron typed into a safe FTS5 MATCH expression, or None if nothing is searchable.

    Every word must appear (as a prefix, so "consen" finds "consent"); a run
    of CJK characters must appear as written.
    """
    terms: list[str] = []
    for term in _TERM.findall(fold_for_search(query[:MAX_QUERY_CHARACTERS])):
        if _CJK_RUN.fullmatch(term):
            if len(term) == 1:
                terms.append(f'"{term}"*')
            else:
                terms.append('"' + " ".join(_pairs(term)[:-1]) + '"')
        else:
            terms.append(f'"{term}"*')
    return " AND ".join(terms[:MAX_QUERY_TERMS]) or None


@dataclass(frozen=True)
class Card:
    """What a search result shows of an article to a reader of one language (as a list's card does)."""

    slug: str
    title: str
    summary: str
    language: str
    """The language of the version shown: the source's, where there is no translation."""
    reading_minutes: int


IndexUnreadable = apsw.Error
"""What reading an index raises when its file is damaged, or cannot be read at all."""


class OtherLayout(apsw.Error):
    """An index file laid out by another version of the kiosk (not damaged: built again, and replaced)."""


@dataclass(frozen=True)
class SearchIndex:
    """The FTS5 index of one library (read from its file, or held in memory), shared by all request threads."""

    connection: apsw.Connection
    lock: threading.Lock
    languages: frozenset[str]
    slugs: tuple[str | None, ...]
    """The article of each row: row ``n`` of every table is ``slugs[n - 1]`` (None: a row taken out)."""
    path: Path | None = None
    """The read-only file it is read from (None: held in memory)."""
    generation: int = 0
    """How many times the file has been changed in place since it was built (the start record names it)."""

    @classmethod
    def build(cls, library: Library, languages: Collection[str], folder: Path | None = None) -> SearchIndex:
        """Index every article as readers of each of ``languages`` would see it.

        One table per language, so a query ranks only its own language's rows. With a ``folder`` the index
        is written straight into a read-only file of its own there (``write_index_file``, then ``published``),
        so no process ever holds it whole (308 MiB at 10,000 articles in twelve languages); where the folder
        cannot hold it, and without one, it is held in memory.
        """
        if folder is not None:
            try:
                written = write_index_file(library, languages, Path(folder))
            except (OSError, apsw.Error) as error:
                _say_held_in_memory(folder, error)
            else:
                index = cls.published(written, languages, tuple(library.articles))
                if index is not None:
                    return index
        connection = _connect()
        slugs = _fill(connection, library, sorted(languages))
        return cls(connection=connection, lock=threading.Lock(), languages=frozenset(languages), slugs=slugs)

    @classmethod
    def published(cls, written: Path, languages: Collection[str], slugs: tuple[str, ...]) -> SearchIndex | None:
        """The index ``write_index_file`` wrote (for ``slugs`` in ``languages``), named as an index file and read
        from it, changed from then on through SQLite's write-ahead log; every other index file beside it is
        removed. None if it cannot be (a full or read-only folder), the written file removed."""
        # A name never used before: SQLite's -wal and -shm files beside an index belong to that file alone.
        folder = written.parent
        path = folder / f"{INDEX_FILE_PREFIX}{secrets.token_hex(10)}.sqlite"
        # One index file at a time is named, opened and left alone: the start's index (built in the
        # background) and a new version's may be made together, and either's clean-up must not remove the
        # other's file before it is open.
        with _INDEX_FILES_LOCK:
            try:
                os.replace(written, path)
                fsync_folder(folder)
                writer = apsw.Connection(str(path))
                try:
                    writer.execute("PRAGMA journal_mode = WAL").fetchall()
                finally:
                    writer.close()
                connection = _read_only(path)
            except (OSError, IndexUnreadable) as error:
                _say_held_in_memory(folder, error)
                with contextlib.suppress(OSError):
                    written.unlink(missing_ok=True)
                    _remove(path)
                return None
            for old in folder.iterdir():
                if old.name.startswith(INDEX_FILE_PREFIX) and not old.name.startswith(path.name) and \
                        old.name.endswith((".sqlite", ".sqlite-wal", ".sqlite-shm")):
                    old.unlink(missing_ok=True)  # a connection still reading it keeps it until it closes
        return cls(connection=connection, lock=threading.Lock(), languages=frozenset(languages), slugs=slugs,
                   path=path)

    @classmethod
    def open(cls, path: Path, slugs: tuple[str | None, ...], languages: Collection[str],
             generation: int) -> SearchIndex | None:
        """The index file ``path`` (named by ``published``, changed ``generation`` times since), at a start, its
        write-ahead log folded into it first, read as it is needed; None if it is damaged, cut short, or not
        changed as often as that.

        A damaged file is set aside (with one log line naming it); one laid out by another
        version of the kiosk is left to be replaced by the index built again.
        """
        return cls._opened(path, slugs, languages, generation, whole=_settle(path))

    @classmethod
    def reading(cls, path: Path, slugs: tuple[str | None, ...], languages: Collection[str],
                generation: int) -> SearchIndex | None:
        """The index file ``path`` as ``open`` reads it, while another connection may still read it (its log is
        left as it is: a new version's index, changed by another process while this one serves the last)."""
        return cls._opened(path, slugs, languages, generation, whole=False)

    @classmethod
    def _opened(cls, path: Path, slugs: tuple[str | None, ...], languages: Collection[str], generation: int,
                whole: bool) -> SearchIndex | None:
        try:
            connection = _read_only(path)
        except OtherLayout:
            return None
        except IndexUnreadable:
            _set_aside(path)
            return None
        try:
            found = connection.execute("SELECT number FROM generation").fetchone()[0]
            pages = connection.execute("PRAGMA page_count").fetchone()[0] * connection.execute(
                "PRAGMA page_size").fetchone()[0]
        except IndexUnreadable:
            found, pages = None, 0
        # Its log folded into it, the file holds every page whole: one cut short or changed by another
        # start than the one recorded is built again.
        if found != generation or (whole and pages != path.stat().st_size):
            connection.close()
            _set_aside(path)
            return None
        return cls(connection=connection, lock=threading.Lock(), languages=frozenset(languages), slugs=slugs,
                   path=path, generation=generation)

    def set_aside(self) -> None:
        """Set this index's file aside as damaged, in one log line naming it (it is then built again)."""
        if self.path is not None:
            _set_aside(self.path)

    def pin(self) -> None:
        """Keep reading the index as it is now, whatever is written to its file later, until this index is let
        go of: its connection holds one read of the file open (a request that took this version before a change
        must not see half of the next one)."""
        with self.lock:
            if not self.connection.in_transaction:
                self.connection.execute("BEGIN")
                self.connection.execute("SELECT 1 FROM generation").fetchall()

    def updated(self, before: Library, after: Library) -> SearchIndex | None:
        """This index, from ``before``'s articles, made ``after``'s in its own file: only the articles that differ
        are taken out and put in again, each at its own row (matches that rank alike stay in the order they
        were). Requests reading this index meanwhile go on reading it as it was (``pin``). None when this
        index is not a file, or most of the library changed (a new index is then built whole, and packed
        tighter)."""
        old_keys, new_keys = fingerprints(before), fingerprints(after)
        if self.path is None or not new_keys:
            return None
        rows = {slug: row for row, slug in enumerate(self.slugs, start=1) if slug is not None}
        out = [slug for slug in rows if old_keys.get(slug) is None or old_keys[slug] != new_keys.get(slug)]
        put_in = [slug for slug in after.articles if slug not in rows or slug in out]
        if len(out) + len(put_in) > max(CHANGED_IN_PLACE, len(after.articles) // 4) or \
                any(slug not in before.articles for slug in out):  # not the words it was indexed with
            return None
        slugs: list[str | None] = list(self.slugs)
        languages = sorted(self.languages)
        self.pin()
        with _INDEX_FILES_LOCK:
            connection = apsw.Connection(str(self.path), statementcachesize=0)
            try:
                # The last change is folded into the file where no reader still needs the log for it,
                # so the log holds about one change, not every change since the index was built.
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                with connection:  # one transaction, on the disk (the log synced) as it ends
                    for slug in out:
                        _take_out(connection, languages, rows[slug], before.articles[slug])
                        if slug not in after.articles:
                            slugs[rows[slug] - 1] = None
                    for slug in put_in:
                        if slug not in rows:
                            slugs.append(slug)
                        _put_in(connection, languages, rows.get(slug, len(slugs)), after.articles[slug])
                    connection.execute("UPDATE generation SET number = number + 1")
                    generation = connection.execute("SELECT number FROM generation").fetchone()[0]
            finally:
                connection.close()
        return SearchIndex(connection=_read_only(self.path), lock=threading.Lock(), languages=self.languages,
                           slugs=tuple(slugs), path=self.path, generation=generation)

    def search(self, language: str, query: str) -> list[str]:
        """Slugs of the articles matching ``query`` in ``language``, best first.

        Matches in the title weigh most, then the summary, then the body.
        """
        return [slug for slug, *_card in self._ranked(language, query, cards=False)]

    def cards(self, language: str, query: str) -> list[Card]:
        """The cards of the articles matching ``query`` in ``language``, best first (as ``search`` ranks them)."""
        return [Card(slug, *card) for slug, *card in self._ranked(language, query, cards=True)]

    def _ranked(self, language: str, query: str, cards: bool) -> list[tuple]:
        """(slug, and with ``cards`` its card's title, summary, language and reading time) of the best matches."""
        expression = match_expression(query)
        if expression is None or language not in self.languages:
            return []
        table = _table(language)
        # bm25 of each column alone, weighed: with no lengths kept, one bm25 over the weighed columns gives
        # about as much to a few matches in the body as to one in the title. (bm25 is negative: best first.)
        score = f"10 * bm25({table}, 1, 0, 0) + 4 * bm25({table}, 0, 1, 0) + bm25({table}, 0, 0, 1)"
        ranked = f"SELECT rowid, {score} AS score FROM {table} WHERE {table} MATCH ? ORDER BY score LIMIT ?"
        if cards:
            sql = (f"SELECT ranked.rowid, title, summary, shown_in, reading_minutes FROM ({ranked}) AS ranked "
                   "JOIN cards ON cards.row = ranked.rowid AND cards.language = ? ORDER BY ranked.score")
            values: tuple = (expression, MAX_RESULTS, language)
        else:
            sql, values = f"SELECT rowid FROM ({ranked})", (expression, MAX_RESULTS)
        with self.lock:
            rows = self.connection.execute(sql, values).fetchall()
            # SQLite keeps the pages a query read; let go of them, so which pages the
            # connection holds never hints at what was looked for.
            self.connection.execute("PRAGMA shrink_memory")
        return [(self.slugs[row - 1], *card) for row, *card in rows]


def _read_only(path: Path) -> apsw.Connection:
    """A connection that only reads ``path``, opened and read now (an error if it is not a sound database,
    ``OtherLayout`` if it is another version's index)."""
    # Read-only: nothing, not a search, is ever written to the file (SQLite keeps its readers' places in the
    # ``-shm`` file beside it, which holds no words).
    connection = apsw.Connection(f"{path.as_uri()}?mode=ro", statementcachesize=0,
                                 flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if connection.execute("PRAGMA user_version").fetchone()[0] != INDEX_LAYOUT:
            raise OtherLayout(f"{path} is laid out by another version")
        if connection.execute("SELECT code FROM made_by").fetchone() != (MADE_BY,):
            raise OtherLayout(f"{path} was made by another version")
    except IndexUnreadable:
        connection.close()
        raise
    return connection


def _set_aside(path: Path) -> None:
    """Set the index file ``path`` aside as damaged, in one log line, keeping only the last one set aside: each
    file has a name of its own, and a failing card would otherwise fill the folder with them."""
    with contextlib.suppress(OSError):
        for earlier in path.parent.glob(f"{INDEX_FILE_PREFIX}*.sqlite.damaged"):
            earlier.unlink()
    set_aside(path, "the search index; it is written again")


def _remove(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)


def _settle(path: Path) -> bool:
    """Fold what the index's write-ahead log holds into the file itself (at a start, when nothing else reads it);
    whether the file now holds every page. Not when the file cannot be written, or another connection reads it."""
    try:
        connection = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READWRITE)
    except apsw.Error:
        return False
    try:
        busy, logged, _moved = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0 and logged <= 0
    except apsw.Error:  # not a database: said by the reading that follows
        return False
    finally:
        connection.close()


def write_index_file(library: Library, languages: Collection[str], folder: Path) -> Path:
    """Index ``library`` (as ``SearchIndex.build`` does) into a new file in ``folder``, on the disk when this
    returns, not yet an index file (``SearchIndex.published`` names it one); its path.

    Written page by page, so memory holds SQLite's cache, never the whole index. A file left by a start cut
    short is removed by the next (``remove_unfinished``).
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f".{INDEX_FILE_PREFIX}{secrets.token_hex(10)}{UNFINISHED}"
    try:
        connection = apsw.Connection(str(path), statementcachesize=0)
        try:
            os.chmod(path, 0o600)
            # No one reads it until it is whole and on the disk, under another name: no journal is needed.
            connection.execute(f"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = "
                               f"-{WRITING_CACHE_KIB}").fetchall()
            _fill(connection, library, sorted(languages))
        finally:
            connection.close()
        with open(path, "rb+") as written:
            os.fsync(written.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _say_held_in_memory(folder: Path, error: Exception) -> None:
    log.warning("the search index cannot be kept in %s (%s): it is held in memory", folder, error)


def remove_unfinished(folder: Path) -> None:
    """Remove the index files a process cut short while it wrote them (``write_index_file``) left in ``folder``.
    Only at a start, before any index is written."""
    with contextlib.suppress(OSError):
        for left in Path(folder).glob(f".{INDEX_FILE_PREFIX}*{UNFINISHED}"):
            left.unlink(missing_ok=True)


def _fill(connection: apsw.Connection, library: Library, languages: list[str]) -> tuple[str, ...]:
    """Make the index's tables in ``connection`` and index every article of ``library``; the slug of each row."""
    slugs = []
    with connection:
        for language in languages:
            # columnsize=0: no length kept per article (see the module's docstring).
            connection.execute(
                f"CREATE VIRTUAL TABLE {_table(language)} USING fts5(title, summary, body, content='', "
                "columnsize=0, tokenize = 'unicode61 remove_diacritics 2')")
        connection.execute("CREATE TABLE cards (language TEXT, row INTEGER, title TEXT, summary TEXT, "
                           "shown_in TEXT, reading_minutes INTEGER, PRIMARY KEY (row, language)) WITHOUT ROWID")
        connection.execute("CREATE TABLE generation (number INTEGER NOT NULL)")
        connection.execute("INSERT INTO generation VALUES (0)")
        connection.execute("CREATE TABLE made_by (code TEXT NOT NULL)")
        connection.execute("INSERT INTO made_by VALUES (?)", (MADE_BY,))
        connection.execute(f"PRAGMA user_version = {INDEX_LAYOUT}")
        # Article by article: a library read from disk is never held whole.
        for row, article in enumerate(library.articles.values(), start=1):
            _put_in(connection, languages, row, article)
            slugs.append(article.slug)
        for language in languages:
            table = _table(language)
            connection.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
    return tuple(slugs)


def _connect() -> apsw.Connection:
    # No statement cache: a cached statement keeps its last bound values, the last search.
    return apsw.Connection(":memory:", statementcachesize=0)


def _put_in(connection: apsw.Connection, languages: list[str], row: int, article: Article) -> None:
    """Index ``article`` at ``row`` for readers of each of ``languages``, with its card."""
    prepared: dict[int, tuple[str, str, str]] = {}  # a source shown in several languages is folded once
    for language in languages:
        version = article.version_for(language)
        table = _table(language)
        connection.execute(f"INSERT INTO {table}(rowid, title, summary, body) VALUES (?, ?, ?, ?)",
                           (row, *_prepared(prepared, version)))
        connection.execute("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?)",
                           (language, row, version.title, version.summary, version.language, version.reading_minutes))


def _take_out(connection: apsw.Connection, languages: list[str], row: int, article: Article) -> None:
    """Take ``article``, indexed at ``row`` by ``_put_in``, out of every language's table, and its cards.

    A contentless table forgets an article by being told the words it was indexed with: the same version,
    folded the same way (any other words would leave some of its own behind, still found).
    """
    prepared: dict[int, tuple[str, str, str]] = {}
    for language in languages:
        table = _table(language)
        connection.execute(f"INSERT INTO {table}({table}, rowid, title, summary, body) VALUES ('delete', ?, ?, ?, ?)",
                           (row, *_prepared(prepared, article.version_for(language))))
    connection.execute("DELETE FROM cards WHERE row = ?", (row,))


def _prepared(memo: dict[int, tuple[str, str, str]], version: ArticleVersion) -> tuple[str, str, str]:
    key = id(version)
    if key not in memo:
        memo[key] = (prepare_text(version.title), prepare_text(version.summary),
                     prepare_text(plain_text(version.html)))
    return memo[key]


def _table(language: str) -> str:
    """The table of one language; tags come from the registry, never from a request."""
    return "passages_" + language.replace("-", "_")


def indexed(library: Library, folder: Path | None, before: Library | None = None,
            previous: SearchIndex | None = None) -> SearchIndex:
    """The search index of ``library``: ``previous`` (``before``'s index, a file in ``folder``) changed only where
    the articles differ, or else built whole (kept in ``folder`` as a file, if there is one)."""
    if folder is not None and before is not None and previous is not None:
        try:
            updated = previous.updated(before, library)
        except (OSError, IndexUnreadable, DamagedFile) as error:
            # The index file, or the last library's articles in a damaged start-up cache: built whole instead.
            log.warning("the search index could not be changed (%s): it is built again", type(error).__name__)
            updated = None
        if updated is not None:
            return updated
    return SearchIndex.build(library, INDEXED_LANGUAGES, folder)
