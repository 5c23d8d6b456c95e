"""Staff sessions: who has unlocked the staff screens, and the CSRF tokens of their forms.

Sessions live in memory only, behind a random token in a cookie limited to
``/staff`` (so no patron page ever receives it). They end after the idle
time, when staff leave, and at the end of every patron session (they listen
for ``patron_session_ended``), so a staff session never carries into a
patron's.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import wraps

from flask import Flask, abort, current_app, g, redirect, request, url_for

from ..layout import render_page
from ..signals import signals_of

COOKIE = "kiosk_staff"
NONCE_SECONDS = 900
MAX_NONCES = 64


@dataclass
class StaffSession:
    """One unlocked staff session."""

    token: str
    csrf_token: str
    last_seen: float = field(default_factory=time.monotonic)


class StaffSessions:
    """Every live staff session, and the one-time tokens of the PIN form."""

    def __init__(self) -> None:
        self._sessions: dict[str, StaffSession] = {}
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> StaffSession:
        """Open a new session."""
        session = StaffSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.token] = session
        return session

    def find(self, token: str | None, idle_seconds: float) -> StaffSession | None:
        """The live session for ``token``, touched; None if absent or idle too long."""
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.last_seen > idle_seconds:
                del self._sessions[token]
                return None
            session.last_seen = now
            return session

    def end_all(self, *_sender, **_extra) -> None:
        """End every staff session (also when a patron session ends)."""
        with self._lock:
            self._sessions.clear()

    def issue_nonce(self) -> str:
        """A one-time token for the PIN form (the form's CSRF protection before any session exists)."""
        now = time.monotonic()
        nonce = secrets.token_urlsafe(24)
        with self._lock:
            self._nonces = {n: t for n, t in self._nonces.items() if now - t < NONCE_SECONDS}
            while len(self._nonces) >= MAX_NONCES:
                self._nonces.pop(next(iter(self._nonces)))
            self._nonces[nonce] = now
        return nonce

    def use_nonce(self, nonce: str | None) -> bool:
        """True, once, for a nonce this kiosk issued in the last quarter of an hour."""
        with self._lock:
            issued = self._nonces.pop(nonce or "", None)
        return issued is not None and time.monotonic() - issued < NONCE_SECONDS


def staff_sessions(app: Flask | None = None) -> StaffSessions:
    """The staff sessions of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kiosk_staff_sessions"]


def current_staff() -> StaffSession | None:
    """The staff session of this request, if the request carries a live one."""
    return staff_sessions().find(request.cookies.get(COOKIE), current_app.config["KIOSK_IDLE_SECONDS"])


def staff_required(view):
    """Send visitors without a live staff session to the PIN screen; check CSRF on every POST."""
    @wraps(view)
    def guarded(*args, **kwargs):
        staff = current_staff()
        if staff is None:
            return redirect(url_for("staff.login"))
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            if not hmac.compare_digest(sent.encode(), staff.csrf_token.encode()):
                abort(400)
        g.staff = staff
        return view(*args, **kwargs)
    return guarded


def init_app(app: Flask) -> None:
    """Keep the app's staff sessions, and end them all whenever a patron session ends."""
    sessions = app.extensions["kiosk_staff_sessions"] = StaffSessions()
    signals_of(app).patron_session_ended.connect(sessions.end_all)


def render_staff_page(template: str, title: str, **values) -> str:
    """A staff screen for the signed-in session: every form on it (the layout's and the page's) carries
    the session's token as ``csrf_token``."""
    token = g.staff.csrf_token
    return render_page(template, title, kind="staff", layout_values={"csrf_token": token}, csrf_token=token, **values)
