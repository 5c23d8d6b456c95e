"""The end of a patron session: ``POST /reset``.

A patron session ends by an idle timeout, a Quick exit or a staff reset. The
browser side (``static/kiosk.js``) covers the screen, empties storage and
posts here; this side tells the browser to drop everything it holds for the
kiosk's origin, and announces the end (``patron_session_ended``) to whoever
holds state that must not outlive it. The server keeps no page or record of
what the patron read, so there is nothing else to forget. The browser's
history is handled by ``static/session-guard.js``: a page from an ended
session replaces itself with the welcome page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for

from ..i18n import default_language
from ..signals import signals_of

bp = Blueprint("patron_session", __name__)

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def end_patron_session():
    """Announce the end of the session and send the browser, emptied, to the default welcome page."""
    app = current_app._get_current_object()
    signals_of(app).patron_session_ended.send(app)
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
    return end_patron_session()
