"""Counting what patrons do, per calendar day, with each patron session's part bounded.

The kiosk has no identity for a patron: a session is everything between two
patron resets (``patron_session_ended``). While it lasts, the session's
tally holds which figures it touches, each at most once, and at most
``MAX_COUNTS_PER_SESSION`` of them (the session itself first). When it ends
the tally is added into the day's running totals, which keep no order and
nothing that links two actions, and the tally is dropped. Only the totals'
noisy release (``release.py``) is ever written or shown.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

MAX_COUNTS_PER_SESSION = 10
"""How many figures one session may add to in all (the session itself included): the bound the
noise is calibrated to. Wikimedia's daily pageview release counts each device's first ten pages a day."""

SESSIONS = "sessions"
ARTICLE = "article"
LISTEN = "listen"
HANDOUT = "handout"
HELP = "help"
LANGUAGE_SWITCH = "language-switch"
SEARCH = "search"
KINDS = (SESSIONS, ARTICLE, LISTEN, HANDOUT, HELP, LANGUAGE_SWITCH, SEARCH)
"""Every kind of figure; a figure's name is its kind, then ``/`` and the article or language it is about."""


def figure(kind: str, *about: str) -> str:
    """The name of one figure, e.g. ``article/consent/es``, ``listen/ar`` or ``sessions``."""
    return "/".join((kind, *about))


class DayCounts:
    """Today's running totals and the tally of the session under way; in memory only."""

    def __init__(self, today: date):
        self.day = today
        self.totals: Counter[str] = Counter()
        self._session: dict[str, None] = {}  # the figures this session touched, each once
        self._session_language: str | None = None
        self._lock = threading.Lock()

    def count(self, name: str) -> None:
        """Count ``name`` for the session under way, once, if it still has room."""
        with self._lock:
            if not self._session:
                self._session[SESSIONS] = None
            if len(self._session) < MAX_COUNTS_PER_SESSION:
                self._session.setdefault(name, None)

    def saw_language(self, tag: str) -> None:
        """A page in ``tag`` was shown: a change from the session's last language counts as a switch."""
        with self._lock:
            switched = self._session_language is not None and self._session_language != tag
            self._session_language = tag
        if switched:
            self.count(figure(LANGUAGE_SWITCH))

    def end_session(self) -> None:
        """Add the session's tally to the day's totals, and forget the session."""
        with self._lock:
            self.totals.update(self._session.keys())
            self._session = {}
            self._session_language = None

    def take_day(self, new_day: date) -> tuple[date, Counter[str]]:
        """The totals so far (the session under way ended into them) and their day; start ``new_day`` afresh."""
        self.end_session()
        with self._lock:
            day, totals = self.day, self.totals
            self.day, self.totals = new_day, Counter()
        return day, totals

    def session_is_empty(self) -> bool:
        """Whether nothing of a session is held (true after every reset)."""
        with self._lock:
            return not self._session and self._session_language is None
