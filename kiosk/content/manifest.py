"""The manifest of a published content folder: every file with its size and SHA-256, and a version.

``flask --app kiosk content publish`` writes ``manifest.json`` after checking
the folder, and writes it last. A kiosk fed by a synced copy of that folder
takes a new version only when every file it holds is exactly what the manifest
lists: a copy still arriving (files missing, half written, or the manifest
ahead of or behind its files) is never served.

Files whose names start with a dot (Syncthing's ``.stfolder`` and its
``.syncthing.*.tmp`` files while they arrive, editors' hidden files) and
editors' ``~`` backups are not content and are left out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from ..atomic import write_atomically
from ..instance import set_aside

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHECKED_FILE = "checked-files.sqlite"
"""The hashes of the content files checked against a manifest, by each file's path and state, in the instance
folder: content only, kept so that a restart does not hash every file of a big library again."""
FORMAT = 1


@dataclass(frozen=True, slots=True)  # one object a file, not two: a big library's listing has 120,000
class FileState:
    """What the file system says about one file, cheaply: enough to notice any change."""

    size: int
    modified_ns: int
    inode: int


def state_of(path: Path) -> FileState | None:
    """The file at ``path`` as a listing sees it (a link itself, not what it points to); None if it is not there."""
    try:
        found = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return FileState(found.st_size, found.st_mtime_ns, found.st_ino)


def synced_by_syncthing(folder: Path) -> bool:
    """Whether ``folder`` is a Syncthing folder (it holds Syncthing's ``.stfolder`` marker)."""
    return (folder / ".stfolder").exists()


def _walked(folder: Path) -> Iterator[tuple[str, FileState]]:
    """Every content file under ``folder`` (the manifest included), by path relative to it with ``/``, in the
    order the paths sort in: each folder's entries are taken as their names sort, a folder's with ``/``."""
    def walk(directory: str, prefix: str) -> Iterator[tuple[str, FileState]]:
        try:
            entries = list(os.scandir(directory))
        except OSError:  # removed while we looked: the next look sees the change
            return
        kept = []
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith("~"):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    kept.append((entry.name + "/", entry))
                elif entry.is_file(follow_symlinks=False):
                    kept.append((entry.name, entry))
            except OSError:
                continue
        for name, entry in sorted(kept, key=lambda pair: pair[0]):
            if name.endswith("/"):
                yield from walk(entry.path, prefix + name)
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            yield prefix + name, FileState(stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return walk(str(folder), "")


def content_files(folder: Path) -> dict[str, FileState]:
    """Every content file under ``folder`` (the manifest included), by path relative to it, with ``/``."""
    return dict(_walked(folder))


def local_version(files: Mapping[str, FileState]) -> str:
    """A name for a folder edited in place: ``local-`` and a digest of its files' sizes and times."""
    digest = hashlib.sha256()
    for path, state in sorted(files.items()):
        digest.update(f"{path}\0{state.size}\0{state.modified_ns}\n".encode())
    return "local-" + digest.hexdigest()[:10]


def listing_digest(files: Mapping[str, FileState]) -> str:
    """A digest of a listing by ``content_files``: it differs whenever any file's path, size, time or inode does.

    Kept instead of the listing itself, which takes tens of MiB for a library of a hundred thousand files.
    """
    return _digest(sorted(files.items()))


def folder_digest(folder: Path) -> str:
    """``listing_digest(content_files(folder))``, worked out while the folder is walked, without the listing.

    A listing of a hundred thousand files takes tens of MiB, which, made while a kiosk serves, stay
    scattered in its memory once given back.
    """
    return _digest(_walked(folder))


def _digest(files: Iterable[tuple[str, FileState]]) -> str:
    digest = hashlib.sha256()
    for path, state in files:
        digest.update(f"{path}\0{state.size}\0{state.modified_ns}\0{state.inode}\n".encode())
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file at ``path``, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ManifestError(ValueError):
    """``manifest.json`` is there but is not a manifest this kiosk can read."""


@dataclass(frozen=True)
class Manifest:
    """A published version of a content folder."""

    version: str
    published_at: str
    files: Mapping[str, tuple[int, str]]
    """Path relative to the folder -> (size in bytes, SHA-256 in hex)."""

    def to_json(self) -> str:
        """The manifest as ``manifest.json`` holds it."""
        return json.dumps({"format": FORMAT, "version": self.version, "published_at": self.published_at,
                           "files": {path: {"size": size, "sha256": digest}
                                     for path, (size, digest) in sorted(self.files.items())}},
                          indent=1, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Waiting:
    """Why what the folder holds now is not served (each reason names a file)."""

    version: str | None
    """The version its manifest names (None when the manifest itself cannot be read)."""
    reasons: tuple[str, ...]
    kind: str = "arriving"
    """``arriving``: a new version, not complete yet; ``changed``: files differ from the version
    served, under the same manifest; ``unreadable``: the manifest cannot be read."""
    awaited: tuple[tuple[str, FileState | None], ...] = ()
    """The files whose change it waits for, each as listed when it was judged (None: not there): for a version
    ``arriving``, those that keep it back, when there are few enough to watch (``taking.WATCHED_AT_MOST``);
    otherwise the manifest. The watcher looks again once every one of them has changed."""


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, None if it has none; ``ManifestError`` if it cannot be read as one."""
    try:
        text = (Path(folder) / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{MANIFEST} cannot be read: {error}") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ManifestError(f"{MANIFEST} is in a format this kiosk does not know ({data.get('format')!r})")
        files = {str(path): (int(entry["size"]), str(entry["sha256"])) for path, entry in data["files"].items()}
        return Manifest(str(data["version"]), str(data.get("published_at", "")), MappingProxyType(files))
    except ManifestError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):  # half arrived, or written by hand
        raise ManifestError(f"{MANIFEST} is not a complete manifest") from None


def new_version(files: Mapping[str, tuple[int, str]], when: datetime) -> str:
    """A version name that sorts by time and differs whenever the files do: ``2026-11-26.0142.3fa9c2``."""
    digest = hashlib.sha256()
    for path, (size, sha) in sorted(files.items()):
        digest.update(f"{path}\0{size}\0{sha}\n".encode())
    return f"{when:%Y-%m-%d.%H%M}.{digest.hexdigest()[:6]}"


def publish(folder: Path, version: str | None = None, *, now: datetime | None = None) -> Manifest:
    """Write ``manifest.json`` for every content file in ``folder`` now, atomically, and return it."""
    folder = Path(folder)
    files = {path: (state.size, sha256_of(folder / path))
             for path, state in sorted(content_files(folder).items()) if path != MANIFEST}
    when = now or datetime.now(UTC)
    manifest = Manifest(version or new_version(files, when), when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        MappingProxyType(files))
    write_atomically(folder / MANIFEST, manifest.to_json().encode("utf-8"))
    return manifest


class Checker:
    """Checks folders against their manifest, hashing only files that changed since it last looked.

    With ``kept`` (``CHECKED_FILE`` in the instance folder), the hashes found are kept there, not in memory:
    after a restart only what changed is hashed (every file of a 10,000-article library took 16 s), and the
    kiosk holds none of them (a big library's were tens of MiB). A file that is not what this writes is set
    aside, in one line, and made again; where it cannot be written (a full or read-only folder), the hashes
    are kept in memory, as without ``kept``.
    """

    def __init__(self, kept: Path | None = None) -> None:
        self._kept = kept
        self._hashes: dict[tuple[str, FileState], str] = {}

    def differences(self, folder: Path, manifest: Manifest, files: Mapping[str, FileState]) -> list[str]:
        """What keeps ``folder`` (whose files are ``files``) from being the manifest's version; empty if nothing.

        Each difference names a file: missing, a different size or content, or not in the manifest.
        """
        return [f"{path}: {what}" for path, what in self.differing(folder, manifest, files)]

    def differing(self, folder: Path, manifest: Manifest, files: Mapping[str, FileState]) -> list[tuple[str, str]]:
        """``differences``, each as the file's path and what is wrong with it."""
        store = self._store()
        try:
            return self._differences(folder, manifest, files, store)
        except sqlite3.Error as error:
            self._give_up_on(error)
            return self._differences(folder, manifest, files, None)
        finally:
            if store is not None:
                store.close()

    def _differences(self, folder: Path, manifest: Manifest, files: Mapping[str, FileState],
                     store: sqlite3.Connection | None) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        hashes: dict[tuple[str, FileState], str] = {}  # in memory: only what the present files need
        new: list[tuple[str, int, int, int, str]] = []  # on disk: what was hashed this time
        kept = _KeptInOrder(store) if store is not None else None
        for path, (size, digest) in sorted(manifest.files.items()):
            state = files.get(path)
            if state is None:
                found.append((path, "missing"))
                continue
            if state.size != size:
                found.append((path, f"{state.size} bytes, the manifest says {size}"))
                continue
            key = (path, state)
            actual = self._hashes.get(key) if kept is None else kept.hash_of(path, state)
            if actual is None:
                try:
                    actual = sha256_of(folder / path)
                except OSError:
                    found.append((path, "cannot be read"))
                    continue
                new.append((path, state.size, state.modified_ns, state.inode, actual))
            if store is None:
                hashes[key] = actual
            if actual != digest:
                found.append((path, "different content"))
        found.extend((path, "not in the manifest") for path in sorted(files)
                     if path != MANIFEST and path not in manifest.files)
        if store is None:
            self._hashes = hashes
        else:
            _keep_hashes(store, new, files)
        return found

    def _store(self) -> sqlite3.Connection | None:
        if self._kept is None:
            return None
        try:
            store = sqlite3.connect(self._kept, timeout=30)
            os.chmod(self._kept, 0o600)
            store.execute("CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, "
                          "modified_ns INTEGER, inode INTEGER, sha256 TEXT) WITHOUT ROWID")
            return store
        except (OSError, sqlite3.Error) as error:
            self._give_up_on(error)
            return None

    def _give_up_on(self, error: Exception) -> None:
        """A damaged file is set aside and made again at the next check; a folder that cannot hold it is left
        alone: the hashes are kept in memory from now on."""
        if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
            set_aside(self._kept, "the content files' hashes checked against the manifest")
            return
        log.warning("the content files' hashes cannot be kept in %s (%s): they are kept in memory",
                    self._kept, error)
        self._kept = None


class _KeptInOrder:
    """The hashes kept in ``CHECKED_FILE``, read in one pass in the order of their paths, as the manifest's files
    are checked: with one look-up a file, checking 120,000 files took 1.5 s; with the pass, 0.56 s."""

    def __init__(self, store: sqlite3.Connection):
        # SQLite orders text by its UTF-8 bytes, which is the order of Python's strings.
        self._rows = store.execute("SELECT path, size, modified_ns, inode, sha256 FROM hashes ORDER BY path")
        self._row = self._rows.fetchone()

    def hash_of(self, path: str, state: FileState) -> str | None:
        """The hash kept for ``path`` if it was worked out for the file as it is (``state``); asked in the order
        of the paths."""
        while self._row is not None and self._row[0] < path:
            self._row = self._rows.fetchone()
        row = self._row
        if row is None or row[0] != path or row[1:4] != (state.size, state.modified_ns, state.inode):
            return None
        return row[4]


def _keep_hashes(store: sqlite3.Connection, new: list[tuple[str, int, int, int, str]],
                 files: Mapping[str, FileState]) -> None:
    """Keep the hashes worked out this time, and only the present files' (one row a file, so it never grows)."""
    with store:
        store.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?)", new)
        gone = [(path,) for (path,) in store.execute("SELECT path FROM hashes") if path not in files]
        store.executemany("DELETE FROM hashes WHERE path = ?", gone)


def verify(folder: Path) -> tuple[Manifest | None, list[str]]:
    """The folder's manifest (None if it has none) and what differs from it (empty if it is complete)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return None, []
    return manifest, Checker().differences(folder, manifest, content_files(folder))
