"""New content while the kiosk runs: the folder is looked at every few seconds, and a new version swapped in whole.

Every ``--content-poll-seconds`` a thread walks the content folder, taking a
digest of its files' sizes, times and inodes; nothing more happens unless that
changed. A walk costs a few milliseconds for the shipped library, but most of a
second of a core for a library of 10,000 articles in twelve languages (120,000
files, each asked for its size and time): the thread then waits longer between
walks, so that they never take more than ``LOOKS_SHARE`` of a core (a look's
child's processor time counted in). When the digest changed, the rest of the look is
done by a short-lived process of its own (``taking``, which says why), and
the folder is listed in full:

- a folder with a ``manifest.json`` (published with ``flask content publish``,
  and usually synced from elsewhere) is taken only once every file is exactly
  as the manifest says; until then the last good version is served, and
  ``ContentHolder.waiting`` says what is still missing or different;
- a folder without one (edited by hand on this kiosk) is taken once its files
  have stayed unchanged for ``--content-settle-seconds``.

Either way the folder is read into a new library (a file that is now broken
keeps its last good version), checked not to have changed while it was read
(the files read are looked at again, not the whole folder), indexed, and
recorded in the start-up cache; the kiosk opens that record as a restart does,
and serves it from then on in one step: a request that began with the old
version finishes with it. ``content_replaced`` then tells whoever renders ahead.

A kiosk that does not poll (``--content-poll-seconds 0``) looks once, in the
background, when it restarts serving the build it kept: what changed while it
was off is taken as soon as the folder is listed, and the first page does not
wait for a big library's listing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask, current_app, request_finished
from werkzeug.exceptions import InternalServerError

from ..instance import set_aside
from ..signals import signals_of
from .manifest import (
    CHECKED_FILE,
    Checker,
    FileState,
    Waiting,
    content_files,
    folder_digest,
    listing_digest,
    local_version,
    state_of,
)
from .search import INDEXED_LANGUAGES
from .serving import Content, ContentHolder, content_holder, release_free_memory
from .startup_cache import StartupCache
from .stored import DamagedFile, StoredArticles, fingerprints
from .taking import (
    ELSEWHERE,
    LOOK,
    NEW,
    NOW,
    SAME,
    TAKEN,
    WAITING,
    Order,
    Outcome,
    decided,
    judge,
    look_in_a_child,
    read,
    served_digest,
)

LOOKS_SHARE = 0.05
"""The most of one core the watcher's looks may take: a look that took a second of the processor is followed by
twenty seconds without one, whatever ``--content-poll-seconds`` asks (a kiosk of 10,000 articles otherwise spent a
quarter of a core listing its folder every three seconds)."""
LOOK_AT_THE_LATEST_SECONDS = 10
"""How long a restart that does not poll waits for its first page to be served before it looks at the folder."""


class ContentUpdates:
    """Looks at one app's content folder, and serves each new complete version of it."""

    def __init__(self, app: Flask, *, clock: Callable[[], float] = time.monotonic):
        self.app = app
        self.folder = Path(app.config["KIOSK_CONTENT"])
        self.poll_seconds = app.config["KIOSK_CONTENT_POLL_SECONDS"]
        self.settle_seconds = app.config["KIOSK_CONTENT_SETTLE_SECONDS"]
        self._clock = clock
        self._checker = Checker(Path(app.instance_path) / CHECKED_FILE)
        # Listed before the start read the folder, so that a change made while it read is seen; kept
        # as a digest once the start is judged (the listing takes tens of MiB for a big library).
        self._listed_at_start = self.holder.listed_at_start
        if self.holder.recorded is not None:  # a restart serving what was recorded: its digest is enough
            self._seen = self.holder.recorded.listed
        else:
            if self._listed_at_start is None:
                self._listed_at_start = content_files(self.folder)
            self._seen = listing_digest(self._listed_at_start)
        # Judged once more at the first look: a file may have changed while the kiosk started.
        self._changed_at: float | None = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one look at a time: the thread's, or a staff change's
        self._damaged_lock = threading.Lock()
        self._set_aside: set[Path] = set()
        self._first_page = threading.Event()
        self.children_seconds = 0.0
        """The processor time the looks' children have taken (counted in the looks' share of a core)."""

    @property
    def holder(self) -> ContentHolder:
        """Where the content being served is held."""
        return content_holder(self.app)

    def describe_start(self) -> tuple[str, bool, Waiting | None]:
        """The version of the folder as the kiosk starts: (version, published, waiting)."""
        recorded = self.holder.recorded
        self.holder.listed_at_start = None  # judged once: a big library's listing takes tens of MiB
        if recorded is not None:  # named when it was built; the first look judges the folder as it is now
            self._listed_at_start = None
            return recorded.version, recorded.published, None
        files, self._listed_at_start = self._listed_at_start or {}, None
        manifest, waiting = judge(self.folder, files, self._checker)
        if manifest is not None:
            return manifest.version, True, None
        return local_version(files), False, waiting

    def check(self) -> bool:
        """Look at the folder once; True if a new version is served from now on."""
        with self._lock:
            # Walked, not listed, unless it changed (or a change is still to be judged): no listing to let go of.
            taken = (self._changed_at is not None or folder_digest(self.folder) != self._seen) and self._look(LOOK)
        return _let_go(taken)

    def take_now(self) -> bool:
        """Serve what the folder holds now, without waiting for it to settle (after staff changed it here).

        A published folder is still taken only if every file matches its manifest.
        """
        with self._lock:
            taken = self._look(NOW)
        return _let_go(taken)

    def first_page_served(self, _app: Flask, **_extra: object) -> None:
        """Let the look a restart makes begin (``_look_once``): the first page is out. Heard from Flask's
        ``request_finished`` once, and then no more, so later pages pay nothing for it."""
        request_finished.disconnect(self.first_page_served)
        self._first_page.set()

    def _look_once(self) -> None:
        """Take what changed in the folder while the kiosk was off (a restart serving its kept build, with no
        watcher to come): the start served at once, and the folder's files (120,000 in a big library) are
        walked, and listed by a look's child if they changed, once the first page is served (listing them took
        the first page as long again)."""
        self._first_page.wait(LOOK_AT_THE_LATEST_SECONDS)
        try:
            with self._lock:
                if folder_digest(self.folder) != self._seen:  # the folder is listed only when it changed
                    self._look(NOW)
        except Exception as error:  # the kept build is served on
            self.app.logger.error("content: could not take the new version (%s)", type(error).__name__)
        finally:  # what the look made here (a listing, where the kiosk looks itself) is given back
            release_free_memory()

    def build_again(self, damaged: Path) -> None:
        """Set the damaged start-up cache file aside (once, with one log line) and build the library again,
        in a thread of its own; a request meanwhile gets the error page, never a traceback."""
        with self._damaged_lock:
            if damaged in self._set_aside:
                return
            self._set_aside.add(damaged)
            set_aside(damaged, "the start-up cache; the library is built again")
        threading.Thread(target=self._build_again, name="kiosk-content-rebuild", daemon=True).start()

    def _build_again(self) -> None:
        with self._lock:  # read here: the start-up cache a child would read the served library from was set aside
            current = self.holder.current
            files = content_files(self.folder)
            verdict = Outcome(NEW, listing_digest(files), version=current.version, published=current.published)
            self._served(*self._take_here(files, verdict))

    def _look(self, kind: str) -> bool:
        """Look at the folder (``kind``: ``LOOK`` or ``NOW``), in a child where it can be (``taking``), so that
        none of the room the look takes stays in the kiosk; True if a new version is served from now on."""
        current = self.holder.current
        unsettled_for = self._clock() - self._changed_at if self._changed_at is not None else None
        order = Order(str(self.folder), self.app.instance_path, kind, self._seen, unsettled_for, self.settle_seconds,
                      current.version, current.published)
        outcome, content = self._looked_by_a_child(order), None
        for name, level, message in outcome.logged:
            logging.getLogger(name).log(level, "%s", message)
        if outcome.result == TAKEN:
            cache = StartupCache(self.app.instance_path)
            trusted = cache.trusted(self.folder)
            if trusted is not None and (trusted[1].listed, trusted[1].version) == (outcome.listed, outcome.version):
                content = self.holder.replace_with_recorded(cache, *trusted, outcome.indexed)
            else:
                outcome = Outcome(ELSEWHERE, reason="what it recorded is not the version taken")
        if outcome.result == ELSEWHERE:
            if outcome.reason:
                self.app.logger.warning("content: the kiosk looks at its folder itself: %s", outcome.reason)
            outcome, content = self._look_here(order)
        if outcome.listed is not None:
            if kind == LOOK and outcome.listed != self._seen:
                self._changed_at = self._clock()
            self._seen = outcome.listed
        return self._served(outcome, content)

    def _looked_by_a_child(self, order: Order) -> Outcome:
        """What a child made of ``order`` (``taking.look``); ``ELSEWHERE``, without one, if the library served is
        not wholly read from the start-up cache (the child takes it as a new version's fallback) or its search
        index is not a file (the child changes that file)."""
        current = self.holder.current
        library = current.library
        index = current.search if current.index.done() and current.index.exception() is None else None
        if not isinstance(library.articles, StoredArticles) or index is None or index.path is None:
            return Outcome(ELSEWHERE)
        index.pin()  # requests that took the version served read its index as it is, whatever the child writes
        keys = fingerprints(library)  # as recorded: in order, and none for an article held
        served = served_digest((slug, keys.get(slug, "")) for slug in library.articles)
        outcome = look_in_a_child(dataclasses.replace(order, served=served, index=(index.path.name, index.generation)))
        self.children_seconds += outcome.processor_seconds
        return outcome

    def _look_here(self, order: Order) -> tuple[Outcome, Content | None]:
        """``taking.look``, done in this process: what it found, and the content served from now on if any."""
        files = content_files(self.folder)
        verdict = decided(order, files, listing_digest(files), self._checker)
        return self._take_here(files, verdict) if verdict.result == NEW else (verdict, None)

    def _take_here(self, files: Mapping[str, FileState], verdict: Outcome) -> tuple[Outcome, Content | None]:
        """Read the version ``verdict`` names in this process, and serve it."""
        cache = StartupCache(self.app.instance_path, files)
        outcome, library = read(self.folder, files, verdict, self.holder.current.library, cache)
        if library is None:
            return outcome, None
        content = self.holder.replace(library, outcome.version, outcome.published, cache)
        cache.put_index(cache.index_key(INDEXED_LANGUAGES), content.search)
        return outcome, content

    def _served(self, outcome: Outcome, content: Content | None) -> bool:
        """Note what a look found; with ``content``, say it is served from now on and tell whoever renders
        ahead."""
        if outcome.result in (WAITING, SAME):
            self.holder.waiting = outcome.waiting
        if outcome.result in (WAITING, SAME, TAKEN):
            self._changed_at = None  # judged: looked at again when a file changes
        if content is None:
            return False
        for problem in content.library.problems:
            self.app.logger.warning("content: %s", problem)
        self.app.logger.info("content: now serving version %s (%d articles)", content.version,
                             len(content.library.articles))
        signals_of(self.app).content_replaced.send(self.app)
        return True

    def start(self) -> None:
        """Look at the folder every ``poll_seconds``, in a thread of its own, until ``stop``; with no polling,
        once, if the start served its kept build (which it does without looking: ``serving.init_app``)."""
        if self._thread is not None:
            return
        if self.poll_seconds > 0:
            # The thread holds the watcher weakly, and is woken to end once it is gone: a kiosk made and
            # dropped (in tests, or by an embedding program) leaves neither a thread nor itself behind.
            weakref.finalize(self, self._stop.set)
            self._thread = threading.Thread(target=_look_every, args=(weakref.ref(self), self._stop, self.poll_seconds),
                                            name="kiosk-content-updates", daemon=True)
        elif self.holder.recorded is not None:
            self._thread = threading.Thread(target=self._look_once, name="kiosk-content-look", daemon=True)
        else:
            return
        self._thread.start()

    def wait_for_look(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until the one look a restart makes after its first page is over, if
        it makes one (no polling): the bench measures a kiosk whose background work is done."""
        if self.poll_seconds <= 0 and self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        """Stop looking (for tests; a running kiosk looks until it ends)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def look(self) -> bool:
        """One look of the watcher's: whether it took a new version. A failed one is logged, and the next is
        made all the same."""
        try:
            return self.check()
        except Exception as error:  # never let one bad look stop the next
            self.app.logger.error("content: could not take the new version (%s)", type(error).__name__)
            return False


def _let_go(taken: bool) -> bool:
    """``taken``, once the room a version taken needed is given back: the folder's listing and the library as
    read (600,000 and 1.4 million objects at 10,000 articles) are let go of only as the look that made them
    returns, after the work started for the new version (its pages, its keyboard's words) gave back its own.
    Not given back, a kiosk of 10,000 articles held 65 MiB more after each update."""
    if taken:
        release_free_memory()
    return taken


def _look_every(held: weakref.ref[ContentUpdates], stop: threading.Event, seconds: float) -> None:
    """A look every ``seconds`` (or longer: ``pause_after``) until ``stop``, for as long as the watcher ``held``
    is in use.

    After a look that found a version kept back, what it waits for (``Waiting.awaited``: the few files a version
    half-arrived still lacks, or the manifest) is watched through the pause, and the folder looked at again as
    soon as every one of those files has changed: a big library's version is then served seconds after its last
    file lands, not a pause (up to a minute) later. Once a pause: a look made early is followed by its whole
    pause, so files written again and again cannot make looks take more than twice their share of a core."""
    pause, folder, awaited = seconds, Path(), ()
    while (early := _paused(stop, pause, seconds, folder, awaited)) is not None:
        updates = held()
        if updates is None:
            return
        began = time.thread_time() + updates.children_seconds
        taken = updates.look()
        pause = seconds if taken else pause_after(seconds, time.thread_time() + updates.children_seconds - began)
        folder, awaited = updates.folder, watched_after(updates.holder.waiting, taken, early)
        del updates  # held only weakly between looks


def watched_after(waiting: Waiting | None, taken: bool, early: bool) -> tuple[tuple[str, FileState | None], ...]:
    """The files to watch through the pause after a look (``_look_every``): those the version ``waiting`` waits
    for, unless the look took a version, or was itself made early."""
    return waiting.awaited if waiting is not None and not taken and not early else ()


def _paused(stop: threading.Event, pause: float, seconds: float, folder: Path,
            awaited: tuple[tuple[str, FileState | None], ...]) -> bool | None:
    """Wait ``pause`` seconds: False once waited; True if cut short because every file ``awaited`` (in ``folder``,
    looked at every ``seconds``) has changed; None when ``stop`` came."""
    if not awaited:
        return None if stop.wait(pause) else False
    deadline = time.monotonic() + pause
    while (left := deadline - time.monotonic()) > 0:
        if stop.wait(min(seconds, left)):
            return None
        if arrived(folder, awaited):
            return True
    return False


def arrived(folder: Path, awaited: tuple[tuple[str, FileState | None], ...]) -> bool:
    """Whether every file ``awaited`` in ``folder`` has changed since it was judged: come, gone or written again."""
    return all(state_of(folder / path) != judged for path, judged in awaited)


def pause_after(seconds: float, spent: float) -> float:
    """How long the watcher waits after a look that took ``spent`` seconds of the processor and no new version:
    ``seconds``, or long enough that looks take no more than ``LOOKS_SHARE`` of a core. (A look that took a new
    version is followed by ``seconds``: taking it was the work looking is for, and more may come.)"""
    return max(seconds, spent / LOOKS_SHARE)


def content_updates(app: Flask) -> ContentUpdates:
    """The content folder's watcher of ``app``."""
    return app.extensions["kiosk_content_updates"]


def _damaged(error: DamagedFile):
    content_updates(current_app).build_again(error.path)
    return current_app.handle_http_exception(InternalServerError())


def init_app(app: Flask) -> None:
    """Name the version served from the start, and look for new ones (not in tests, which look when they choose);
    build the library again if its file is damaged while it is served."""
    updates = app.extensions["kiosk_content_updates"] = ContentUpdates(app)
    request_finished.connect(updates.first_page_served, sender=app)
    app.register_error_handler(DamagedFile, _damaged)
    version, published, waiting = updates.describe_start()
    holder = updates.holder
    holder.start_as(version, published, waiting)
    if not app.testing:
        updates.start()
