"""The pre-rendered article pages on disk: one file, only ever added to, each page read by its offset.

A page is found in a small index held in memory (the sorted 64-bit digests of
the pages' names, with each page's place and length beside them: 20 bytes a
page, under 5 MiB for 10,000 articles in twelve languages, each article page
kept twice) and read with one
``os.pread``. The file's bytes stay in the system's cache, never in the
kiosk's memory (a mapping would count them there), and what a request read
goes when its response does.

The file (``PAGES_FILE``) begins with ``_FILE_HEAD``, then holds segments,
each written whole once, under a lock, and never changed: a head (how many
pages, how many bytes, when, and a checksum of its index), its index (sorted by
digest), then its pages. A page's record holds its full name, so two names with
the same digest are told apart, never mistaken, and a checksum of the rest, so a
damaged page is never served. New pages (a new version's changed articles) are
a new segment at the end: the cost of an update is the size of the change. A
file cut short (a power cut while a segment was written) is cut back to its
last whole segment and serves the rest; a file damaged otherwise is set aside
and started again, in one log line naming it each time. Pages no longer served
are left out when the file is written again whole (``compact``), from the old
one's bytes, and put in its place in one rename.
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import heapq
import itertools
import logging
import os
import struct
import threading
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..instance import set_aside

log = logging.getLogger(__name__)

PAGES_FILE = "article-pages.bin"
"""The pre-rendered pages, in the instance folder: library content only, written by the background renderer."""
_EARLIER_FILES = ("article-pages.sqlite",)
"""Where earlier versions of the kiosk kept the pages (library content only): removed."""
_FILE_HEAD = b"kiosk pages v1\n\0"
_SEGMENT = struct.Struct("<8sIQQI")
"""A segment's head: its mark, how many pages, the bytes of its pages, when it was written, its index's CRC-32."""
_SEGMENT_MARK = b"segment\0"
_RECORD = struct.Struct("<4sIHI")
"""A page's head: its mark, the CRC-32 of all that follows, the length of its name, the length of its title."""
_RECORD_MARK = b"page"
_ENTRY_BYTES = 8 + 8 + 4
"""Each page's digest, offset and length in a segment's index (stored as three arrays, one after another)."""


def _digest(name: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest())


def page_name(context: str, article: str, language: str) -> bytes:
    """What a page is stored under: the context of the library, the article's fingerprint and the language."""
    return f"{context}\0{article}\0{language}".encode()


class DamagedPages(Exception):
    """The pages file is not what the kiosk wrote (another format, a damaged segment or page)."""


@dataclass(frozen=True)
class _Index:
    """The pages of one open file: sorted digests, and each page's offset and length in the same order.

    Replaced whole, never changed: a request reads with the index and file it began with. The
    file is closed when the last index that reads it goes.
    """

    file: _Descriptor
    digests: array
    offsets: array
    lengths: array
    written_at: array
    """When each page's segment was written (seconds since the epoch): another kiosk process's are kept a day."""
    end: int
    """The end of the last segment read or written by this process."""

    def find(self, digest: int) -> int | None:
        """The place of ``digest`` in the index, if it is there."""
        place = bisect.bisect_left(self.digests, digest)
        return place if place < len(self.digests) and self.digests[place] == digest else None

    def with_pages(self, entries: list[tuple[int, int, int]], written_at: int, end: int) -> _Index:
        """A new index with ``entries`` (digest, offset, length), sorted, added; each replaces any of its digest."""
        digests, offsets, lengths, times = array("Q"), array("Q"), array("I"), array("I")
        start = 0
        for digest, offset, length in entries:
            place = bisect.bisect_left(self.digests, digest, start)
            digests += self.digests[start:place]
            offsets += self.offsets[start:place]
            lengths += self.lengths[start:place]
            times += self.written_at[start:place]
            digests.append(digest)
            offsets.append(offset)
            lengths.append(length)
            times.append(written_at)
            start = place + 1 if place < len(self.digests) and self.digests[place] == digest else place
        digests += self.digests[start:]
        offsets += self.offsets[start:]
        lengths += self.lengths[start:]
        times += self.written_at[start:]
        return _Index(self.file, digests, offsets, lengths, times, end)


def _segment(entries: list[tuple[int, bytes]], start: int, written_at: int) -> tuple[bytes, list[tuple[int, int, int]]]:
    """A segment of the pages ``entries`` (digest, record) beginning at ``start``; and its index, sorted.

    Of two pages with the same digest, the later is kept (the file is found by digest).
    """
    entries = sorted(dict(entries).items(), key=lambda entry: entry[0])
    offset = start + _SEGMENT.size + _ENTRY_BYTES * len(entries)
    index = []
    for digest, record in entries:
        index.append((digest, offset, len(record)))
        offset += len(record)
    table = (array("Q", [entry[0] for entry in index]).tobytes() + array("Q", [entry[1] for entry in index]).tobytes()
             + array("I", [entry[2] for entry in index]).tobytes())
    head = _SEGMENT.pack(_SEGMENT_MARK, len(index), offset - start - _SEGMENT.size - len(table), written_at,
                         zlib.crc32(table))
    return b"".join([head, table, *(record for _digest, record in entries)]), index


def _record(name: bytes, title: str, page: bytes) -> bytes:
    title_bytes = title.encode()
    rest = name + title_bytes + page
    return _RECORD.pack(_RECORD_MARK, zlib.crc32(rest), len(name), len(title_bytes)) + rest


class PageFile:
    """The pages file of one instance folder: read by requests, added to by the background renderer only."""

    def __init__(self, path: Path, damaged: Callable[[], None] = lambda: None):
        """Open (or begin) the file at ``path``; ``damaged`` is called when a page read is found damaged."""
        self.path = path
        self._damaged = damaged
        self._lock = threading.Lock()  # this process's writers; other processes are kept out by flock
        for name in _EARLIER_FILES:
            try:
                (path.parent / name).unlink(missing_ok=True)
            except OSError:  # a folder that cannot be written: nothing is kept in it either
                pass
        self._index = self._open()

    @property
    def usable(self) -> bool:
        """Whether pages can be kept (the instance folder can be written)."""
        return self._index is not None

    def _open(self) -> _Index | None:
        try:
            try:
                return self._read_file()
            except DamagedPages as damage:
                set_aside(self.path, f"the pre-rendered article pages: {damage}; they are rendered again")
                return self._read_file()
        except (OSError, DamagedPages):  # a folder that cannot be written: each page is rendered when asked for
            return None

    def _read_file(self) -> _Index:
        """The index of the file at ``self.path``, made or cut back to its last whole segment if it must be."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        file = _Descriptor(self.path)
        with _locked(file):
            return self._index_of(file)

    def _index_of(self, file: _Descriptor) -> _Index:
        descriptor = file.number
        size = os.fstat(descriptor).st_size
        if size == 0:
            os.write(descriptor, _FILE_HEAD)
            size = len(_FILE_HEAD)
        if os.pread(descriptor, len(_FILE_HEAD), 0) != _FILE_HEAD:
            raise DamagedPages("another format")
        offset, parts = len(_FILE_HEAD), []
        while offset < size:
            head = os.pread(descriptor, _SEGMENT.size, offset)
            if len(head) < _SEGMENT.size:
                break
            mark, count, records, written_at, checksum = _SEGMENT.unpack(head)
            if mark != _SEGMENT_MARK:
                raise DamagedPages(f"no segment at byte {offset}")
            table = os.pread(descriptor, _ENTRY_BYTES * count, offset + _SEGMENT.size)
            end = offset + _SEGMENT.size + len(table) + records
            if len(table) < _ENTRY_BYTES * count or end > size:
                break
            if zlib.crc32(table) != checksum:
                raise DamagedPages(f"the segment at byte {offset}")
            parts.append((table, count, written_at))
            offset = end
        if offset < size:  # the last segment was not written whole: the whole ones serve, the rest is made again
            log.warning("%s (the pre-rendered article pages) was cut short: its %d bytes after byte %d are removed, "
                        "and those pages rendered again", self.path, size - offset, offset)
            os.truncate(descriptor, offset)
        return _merged(file, parts, offset)

    def get(self, name: bytes) -> tuple[str, bytes, int] | None:
        """The title stored under ``name``, if a page is, and the page: in the bytes read, from the place given
        (so the caller copies out only what it needs)."""
        index = self._index
        if index is None:
            return None
        place = index.find(_digest(name))
        if place is None:
            return None
        try:
            record = os.pread(index.file.number, index.lengths[place], index.offsets[place])
        except OSError:  # the disk failed this read: the page is rendered on the spot
            return None
        try:
            mark, checksum, name_length, title_length = _RECORD.unpack_from(record)
        except struct.error:
            mark = None
        if mark != _RECORD_MARK or zlib.crc32(memoryview(record)[_RECORD.size:]) != checksum:
            self._found_damaged(index, place)
            return None
        title_start = _RECORD.size + name_length
        if record[_RECORD.size:title_start] != name:
            return None  # another page whose name has the same digest: rendered on the spot instead
        page_start = title_start + title_length
        return record[title_start:page_start].decode(), record, page_start

    def has(self, name: bytes) -> bool:
        """Whether a page is stored under ``name``'s digest (so is taken to be stored under ``name``)."""
        index = self._index
        return index is not None and index.find(_digest(name)) is not None

    def _found_damaged(self, index: _Index, place: int) -> None:
        with self._lock:
            if self._index is not index:
                return  # already set aside by another request
            set_aside(self.path, f"the pre-rendered article pages: the page at byte {index.offsets[place]}; "
                                 "they are rendered again")
            self._index = self._open()
        self._damaged()

    def put(self, pages: Iterable[tuple[bytes, str, bytes]]) -> None:
        """Add pages (name, title, page) at the end of the file, in one segment, and serve them."""
        entries = [(_digest(name), _record(name, title, page)) for name, title, page in pages]
        if not entries:
            return
        with self._lock:
            index = self._index
            if index is None:
                return
            with _locked(index.file):
                start = os.fstat(index.file.number).st_size  # another process may have added to it
                written_at = int(time.time())
                segment, added = _segment(entries, start, written_at)
                try:
                    os.pwrite(index.file.number, segment, start)
                    os.fdatasync(index.file.number)
                except OSError:  # a full disk: what was written of the segment goes, the file stays whole
                    os.truncate(index.file.number, start)
                    raise
            self._index = index.with_pages(added, written_at, start + len(segment))

    def compact(self, kept: Iterable[bytes], kept_unused_seconds: int) -> bool:
        """Write the file again without the pages no longer needed, when they take more room than the rest.

        Kept: the pages named in ``kept`` (the library served), and every page written less than
        ``kept_unused_seconds`` ago (another kiosk process on the same folder may be serving it).
        Returns whether the file was written again.
        """
        with self._lock:
            index = self._index
            if index is None:
                return False
            wanted = {_digest(name) for name in kept}
            recent = int(time.time()) - kept_unused_seconds

            def kept_places() -> Iterator[int]:
                return (place for place, digest in enumerate(index.digests)
                        if digest in wanted or index.written_at[place] > recent)
            # Counted first, listed only to be written again: checked after every update, the list of a big
            # library's places (and of its page names, which ``kept`` may hand over one by one) was tens of MiB.
            kept_bytes = sum(index.lengths[place] for place in kept_places())
            if index.end - kept_bytes <= max(kept_bytes, 1 << 20):
                return False
            self._index = self._written_again(index, list(kept_places()))
            return True

    def _written_again(self, index: _Index, keep: list[int]) -> _Index:
        new_path = self.path.with_name(self.path.name + ".new")
        try:
            return self._copied(index, keep, new_path)
        finally:
            new_path.unlink(missing_ok=True)  # left only when writing it failed

    def _copied(self, index: _Index, keep: list[int], new_path: Path) -> _Index:
        source = index.file.number
        with open(new_path, "wb", buffering=0) as new, _locked(index.file):
            os.chmod(new_path, 0o600)
            new.write(_FILE_HEAD)
            written_at = int(time.time())
            start = len(_FILE_HEAD)
            offset = start + _SEGMENT.size + _ENTRY_BYTES * len(keep)
            entries = []
            for place in keep:  # sorted by digest already
                entries.append((index.digests[place], offset, index.lengths[place]))
                offset += index.lengths[place]
            table = (array("Q", [entry[0] for entry in entries]).tobytes()
                     + array("Q", [entry[1] for entry in entries]).tobytes()
                     + array("I", [entry[2] for entry in entries]).tobytes())
            new.write(_SEGMENT.pack(_SEGMENT_MARK, len(entries), offset - start - _SEGMENT.size - len(table),
                                    written_at, zlib.crc32(table)))
            new.write(table)
            for place in keep:  # the kernel copies each page's bytes: none passes through this process
                length, at = index.lengths[place], index.offsets[place]
                while length:
                    copied = os.copy_file_range(source, new.fileno(), length, at)
                    if not copied:
                        raise DamagedPages("cut short while it was written again")
                    length, at = length - copied, at + copied
            os.fdatasync(new.fileno())
            os.replace(new_path, self.path)
        return _Index(_Descriptor(self.path), array("Q", [entry[0] for entry in entries]),
                      array("Q", [entry[1] for entry in entries]), array("I", [entry[2] for entry in entries]),
                      array("I", [written_at]) * len(entries), offset)


def _merged(file: _Descriptor, parts: list[tuple[bytes, int, int]], end: int) -> _Index:
    """The index of a file's segments (their index bytes, page count and time), a later page replacing an earlier.

    Each segment is sorted, so they are merged one page at a time: sorting a list of every page's
    digest as objects took more than twice the room, and left some of it scattered in the kiosk's
    memory once given back (2 MiB at 120,000 pages in two segments).
    """
    segments = []
    for table, count, written_at in parts:
        digests, offsets, lengths = array("Q"), array("Q"), array("I")
        digests.frombytes(table[:8 * count])
        offsets.frombytes(table[8 * count:16 * count])
        lengths.frombytes(table[16 * count:])
        segments.append((digests, offsets, lengths, written_at))
    if len(segments) == 1:
        digests, offsets, lengths, written_at = segments[0]
        return _Index(file, digests, offsets, lengths, array("I", [written_at]) * len(digests), end)
    digests, offsets, lengths, times = array("Q"), array("Q"), array("I"), array("I")
    # Of two pages with the same digest, the later segment's comes first (its number negated), and is kept.
    pages = heapq.merge(*(zip(segment[0], itertools.repeat(-number), segment[1], segment[2])
                          for number, segment in enumerate(segments)))
    last = None
    for digest, later, offset, length in pages:
        if digest != last:
            digests.append(digest)
            offsets.append(offset)
            lengths.append(length)
            times.append(segments[-later][3])
            last = digest
    return _Index(file, digests, offsets, lengths, times, end)


class _Descriptor:
    """The pages file, open to read and add to; closed when the last index reading it goes (after a
    request that began with it has read its page, even when the file was replaced meanwhile)."""

    def __init__(self, path: Path):
        self.number = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def fileno(self) -> int:
        """The descriptor (for ``_locked`` and ``open``'s kin)."""
        return self.number

    def __del__(self, close=os.close):  # os.close kept: at the interpreter's exit the module may be gone first
        if hasattr(self, "number"):  # not when the file could not be opened
            close(self.number)


class _locked:
    """An exclusive lock on an open file, held against other processes (``flock``) for a ``with`` block."""

    def __init__(self, file):
        self._file = file

    def __enter__(self):
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        return self._file

    def __exit__(self, *exc):
        fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
