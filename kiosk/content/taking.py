"""A look at the content folder, and a new version read, written and indexed, by a short-lived process of its own.

Looking at a big library's folder and reading a new version of it make and drop
millions of small objects (at 10,000 articles in twelve languages: a listing of
120,000 files, the manifest's 120,000 entries and their checked hashes, the
start-up cache's view of the listing, every changed article parsed); the room
they took stays with the process that made them, scattered among what it
keeps: a kiosk of 10,000 articles grew from 89 to 226 MiB over eight
one-article updates with no more than 17 MiB of objects alive. So once the
watcher's walk of the folder (a digest, no listing) sees a change, the kiosk
hands the rest of the look to a child (``python -m kiosk.content.taking``, the
``Order`` in and the ``Outcome`` out, pickled, on its standard input and
output). The child lists and judges the folder (``decided``); if it holds a
version to take, reads it into the start-up cache with the served library as
its fallback, changes the search index file, and records the new version. The
kiosk then serves that record as a restart does
(``ContentHolder.replace_with_recorded``) and holds nothing the look made.

The child reads content and writes the instance folder's content files only
(the start-up cache, the search index, the checked hashes), never anything
about a patron, so it runs under Python's own allocator rather than the kiosk's
scrubbing one. Its log lines come back in the outcome and are said by the
kiosk. When the served library is not wholly in the start-up cache (the
instance folder could not be written), the child cannot take it as its
fallback, and the kiosk looks itself, with the same ``decided``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .loader import ContentFolderError, load_library
from .manifest import (
    CHECKED_FILE,
    MANIFEST,
    Checker,
    FileState,
    Manifest,
    ManifestError,
    Waiting,
    content_files,
    listing_digest,
    local_version,
    read_manifest,
)
from .model import Library
from .search import INDEXED_LANGUAGES, SearchIndex, indexed
from .startup_cache import StartupCache
from .stored import StoredArticles

LOOK = "look"
"""An order's kind: the watcher's look (a changed folder is taken once published, or once it has settled)."""
NOW = "now"
"""An order's kind: take what the folder holds now if it is complete (staff changed it; a restart's one look)."""

NOTHING = "nothing"
"""An outcome: the folder is as it was when last judged."""
SETTLING = "settling"
"""An outcome: a folder without a manifest changed less than ``settle_seconds`` ago; judged again later."""
SAME = "same"
"""An outcome: the folder holds the version served."""
WAITING = "waiting"
"""An outcome: the folder's version cannot be served yet (``Outcome.waiting`` says why)."""
NEW = "new"
"""A verdict of ``decided``: the folder holds a version to take (``Outcome.version``)."""
CHANGED = "changed"
"""An outcome: a file read changed while it was read; judged again at the next look."""
TAKEN = "taken"
"""An outcome: the new version is recorded in the start-up cache, its search index beside it if ``indexed``."""
ELSEWHERE = "elsewhere"
"""An outcome: the child cannot take the version (the library served is not the one recorded, or the record
cannot be written): the kiosk looks itself. With a ``reason`` when the child itself failed."""

COMMAND = (sys.executable, "-m", __name__)
"""The child: this module, run by the kiosk's own Python."""
WATCHED_AT_MOST = 100
"""The most files a version kept back may still lack for the watcher to watch them between looks (``Waiting``):
more, and a version is arriving whole, which the next look sees."""
CHILD_SECONDS = 3600
"""The longest a child may take (a new version of a big library whose every article changed takes minutes)."""


@dataclass(frozen=True)
class Order:
    """A look at ``folder`` asked of a child: what was last seen there, and what is served."""

    folder: str
    instance: str
    kind: str
    """``LOOK`` or ``NOW``."""
    seen: str
    """The ``listing_digest`` of the folder when it was last judged."""
    unsettled_for: float | None
    """Seconds since the listing last changed, while that change is still to be judged (else None)."""
    settle_seconds: float
    served_version: str
    served_published: bool
    served: str | None = None
    """``served_digest`` of the library served, when it is wholly read from the start-up cache (else None: the
    kiosk looks itself)."""
    index: tuple[str, int] | None = None
    """The served search index's file name and generation."""


@dataclass(frozen=True)
class Outcome:
    """What a look found (one of the outcomes above), and what its child logged."""

    result: str
    listed: str | None = None
    """The ``listing_digest`` of the folder as this look listed it."""
    waiting: Waiting | None = None
    version: str = ""
    """The version to take, or taken."""
    published: bool = False
    reason: str = ""
    indexed: bool = False
    logged: tuple[tuple[str, int, str], ...] = ()
    """(logger, level, message) of each line the child logged, for the kiosk to say."""
    processor_seconds: float = 0.0
    """The processor time the child took, its start included."""


def judge(folder: Path, files: Mapping[str, FileState], checker: Checker,
          served: str | None = None) -> tuple[Manifest | None, Waiting | None]:
    """The folder's complete manifest if it has one; otherwise what keeps its manifest's version back.

    (None, None) for a folder without a manifest. ``served`` is the version being served.
    """
    if MANIFEST not in files:
        return None, None
    # A manifest that cannot be read, or files that differ from the version served under its manifest (a new
    # version's files come before its manifest, as a sync may deliver them; or files edited without
    # publishing): what is awaited is the manifest written again.
    manifest_written_again = ((MANIFEST, files[MANIFEST]),)
    try:
        manifest = read_manifest(folder)
    except ManifestError as error:
        return None, Waiting(None, (str(error),), "unreadable", manifest_written_again)
    if manifest is None:  # removed since the folder was listed
        return None, None
    differences = checker.differing(folder, manifest, files)
    if not differences:
        return manifest, None
    reasons = tuple(f"{path}: {what}" for path, what in differences)
    if manifest.version == served:
        return None, Waiting(manifest.version, reasons, "changed", manifest_written_again)
    awaited = tuple((path, files.get(path)) for path, _ in differences)
    # Only the folder's own files are watched: a manifest that names one elsewhere (damaged, or hostile) is
    # never complete, and the kiosk looks at nothing outside its folder for it.
    watched = len(awaited) <= WATCHED_AT_MOST and all(_in_folder(path) for path, _ in awaited)
    return None, Waiting(manifest.version, reasons, "arriving", awaited if watched else ())


def _in_folder(path: str) -> bool:
    """Whether ``path``, as a manifest names it, is a path inside the content folder."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts


def decided(order: Order, files: Mapping[str, FileState], listed: str, checker: Checker) -> Outcome:
    """What to do about the folder ``order`` names, listed now as ``files`` (``listed``: their digest): ``NEW``
    (with the version) if it holds one to take; else ``NOTHING``, ``SETTLING``, ``SAME`` or ``WAITING``.

    A published folder is taken once every file is as its manifest says; one edited in place, once it has
    not changed for ``settle_seconds`` (a ``NOW`` order takes it at once).
    """
    fresh = listed != order.seen
    if order.kind == LOOK and not fresh and order.unsettled_for is None:
        return Outcome(NOTHING, listed)
    manifest, waiting = judge(Path(order.folder), files, checker, order.served_version)
    if waiting is not None:
        return Outcome(WAITING, listed, waiting)
    if manifest is not None:
        if order.kind == LOOK and manifest.version == order.served_version and order.served_published:
            return Outcome(SAME, listed)
        return Outcome(NEW, listed, version=manifest.version, published=True)
    if order.kind == LOOK and (0.0 if fresh else order.unsettled_for) < order.settle_seconds:
        return Outcome(SETTLING, listed)  # still being edited, perhaps
    version = local_version(files)
    if order.kind == LOOK and version == order.served_version:
        return Outcome(SAME, listed)
    return Outcome(NEW, listed, version=version)


def read(folder: Path, files: Mapping[str, FileState], verdict: Outcome, fallback: Library,
         cache: StartupCache) -> tuple[Outcome, Library | None]:
    """Read the version ``verdict`` names from ``folder`` (as listed in ``files``) into ``cache`` and record it:
    ``TAKEN`` and the library, read from the cache's file (or held in memory where it could not be written); or
    ``WAITING`` (the folder cannot be read) or ``CHANGED``, and None. A file now broken keeps its version in
    ``fallback``, the library served."""
    try:
        library = load_library(folder, fallback=fallback, cache=cache)
    except ContentFolderError as error:
        return dataclasses.replace(verdict, result=WAITING, waiting=Waiting(None, (str(error),), "unreadable")), None
    if cache.changed_since_listed(folder):
        return dataclasses.replace(verdict, result=CHANGED), None
    kept = cache.keep(library, verdict.listed, verdict.version, verdict.published)
    return dataclasses.replace(verdict, result=TAKEN), kept


def served_digest(keys: Iterable[tuple[str, str]]) -> str:
    """A digest of a recorded library's articles in order, (slug, fingerprint) each (no fingerprint: held)."""
    digest = hashlib.blake2b(digest_size=16)
    for slug, key in keys:
        digest.update(f"{slug}\0{key}\n".encode())
    return digest.hexdigest()


def look_in_a_child(order: Order) -> Outcome:
    """``look(order)``, done by a process of its own; ``ELSEWHERE`` (with the reason) if that process failed."""
    # The child reads content only, nothing about a patron: Python's own allocator, which is quicker.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONMALLOC"}
    try:
        finished = subprocess.run(COMMAND, input=pickle.dumps(order), capture_output=True, env=environment,
                                  timeout=CHILD_SECONDS)
    except (OSError, subprocess.SubprocessError) as error:
        return Outcome(ELSEWHERE, reason=f"the child could not run ({type(error).__name__})")
    if finished.returncode != 0:
        last = finished.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        return Outcome(ELSEWHERE, reason=f"the child failed ({last[0] if last else finished.returncode})")
    outcome = pickle.loads(finished.stdout)
    if not isinstance(outcome, Outcome):
        return Outcome(ELSEWHERE, reason="the child answered something else")
    return outcome


def look(order: Order) -> Outcome:
    """List and judge the folder ``order`` names; read a version to take into the start-up cache, index it, and
    record it as served (the child's work)."""
    folder, instance = Path(order.folder), Path(order.instance)
    files = content_files(folder)
    verdict = decided(order, files, listing_digest(files), Checker(instance / CHECKED_FILE))
    if verdict.result != NEW:
        return verdict
    served = StartupCache(instance)
    trusted = served.trusted(folder)
    if trusted is None or served_digest(trusted[1].keys) != order.served:
        return dataclasses.replace(verdict, result=ELSEWHERE)  # its file was set aside, or could not be written
    before = trusted[0]
    recorded_index = served.index(served.index_key(INDEXED_LANGUAGES))
    previous = None
    if recorded_index is not None and order.index == (recorded_index[0].name, recorded_index[2]):
        previous = SearchIndex.reading(recorded_index[0], recorded_index[1], INDEXED_LANGUAGES, recorded_index[2])
    cache = StartupCache(instance, files)
    outcome, library = read(folder, files, verdict, before, cache)
    if library is None:
        return outcome
    if not isinstance(library.articles, StoredArticles):  # the record could not be written: the kiosk holds it
        return dataclasses.replace(outcome, result=ELSEWHERE)
    index = indexed(library, cache.path.parent, before, previous)
    cache.put_index(cache.index_key(INDEXED_LANGUAGES), index)
    return dataclasses.replace(outcome, indexed=index.path is not None)


class _Kept(logging.Handler):
    """Keeps every line logged, to be sent back to the kiosk."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record``'s logger, level and message."""
        self.lines.append((record.name, record.levelno, record.getMessage()))


def main() -> None:
    """Read an ``Order`` (pickled) on standard input, look, and write the ``Outcome`` (pickled) on standard output."""
    order = pickle.loads(sys.stdin.buffer.read())
    kept = _Kept()
    logging.getLogger().addHandler(kept)
    logging.getLogger().setLevel(logging.INFO)
    outcome = look(order)
    sys.stdout.buffer.write(pickle.dumps(dataclasses.replace(outcome, logged=tuple(kept.lines),
                                                             processor_seconds=time.process_time())))


if __name__ == "__main__":  # run as a module: its classes are pickled under their own module's name
    from kiosk.content.taking import main as taking_main
    taking_main()
