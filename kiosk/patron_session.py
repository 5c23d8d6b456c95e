"""The end of a patron session: ``POST /reset``, and the server's own idle backstop.

A patron session ends by an idle timeout, a Quick exit or a staff reset. The
browser side (``static/kiosk.js``) covers the screen, empties storage and
posts here; this side tells the browser to drop everything it holds for the
kiosk's origin and forgets the pages it rendered for that patron. The
browser's history is handled by ``static/session-guard.js``: a page from an
ended session replaces itself with the welcome page.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, redirect, request, url_for

from .i18n import default_language
from .page_cache import page_cache
from .staff_session import staff_sessions

bp = Blueprint("patron_session", __name__)

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def reset_patron_session(app: Flask | None = None) -> None:
    """Forget everything the server holds about the session: rendered pages, and any staff session."""
    page_cache(app).clear()
    staff_sessions(app).end_all()


def ended_session_response():
    """Send the browser to the default welcome page, telling it to drop all it holds for the kiosk."""
    response = redirect(url_for("patron.welcome", lang=default_language().tag), code=303)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    for name in request.cookies:
        response.delete_cookie(name)
        response.delete_cookie(name, path="/staff")
    return response


@bp.post("/reset")
def reset():
    """End the patron session and send the browser to the welcome page in the default language.

    Any body, or none, is accepted: a reset must never fail. (No CSRF token
    either: the worst a forged reset can do is clear the screen.)
    """
    reset_patron_session()
    return ended_session_response()


class IdleWatch:
    """Empties the server's patron state when no page has been asked for in ``idle_seconds``.

    The browser normally ends an idle session itself; this covers a browser
    with JavaScript off or crashed, so no patron's pages stay in memory for
    the next one.
    """

    def __init__(self, app: Flask, idle_seconds: float, check_every: float = 5.0):
        self.cache = page_cache(app)
        self.idle_seconds = idle_seconds
        self.check_every = check_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-idle-watch", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.check_every):
            self.cache.clear_if_idle(self.idle_seconds)

    def start(self) -> "IdleWatch":
        """Begin watching in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=5)
