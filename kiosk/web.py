"""What every response shares: safe headers, cache rules, friendly errors, and ``/healthz``.

The Content-Security-Policy allows nothing from another origin and no inline
script or style, so even a mistake in a template cannot load a remote font or
leak a visit. Pages are ``no-store``: the browser keeps no copy of what a
patron read. Static files carry a hash of their content in their address
(``?v=...``) and are sent as immutable, so moving between pages never asks for
them again; a reset's ``Clear-Site-Data: "cache"`` still empties them.

Flask's own log line for an unhandled error names the path, which would
reveal the article or search; ``KioskFlask.log_exception`` logs only the
exception type and where in our code it happened.
"""

from __future__ import annotations

import hashlib
import inspect
import traceback
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from . import forgetting
from .content.serving import content_holder, current_content
from .instance import folder_state
from .layout import render_page

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
))
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "camera", "microphone", "geolocation", "usb", "serial", "payment",
    "display-capture", "clipboard-read", "interest-cohort", "browsing-topics",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
IMMUTABLE = "public, max-age=31536000, immutable"

ERROR_MESSAGES = {
    400: (_l("Something in that request was not right"),
          _l("Please go back to the welcome page and try again.")),
    404: (_l("We could not find that page"),
          _l("It may have moved, or the address may have a typing mistake.")),
    405: (_l("That does not work here"),
          _l("Please go back to the welcome page and try again.")),
    500: (_l("Something went wrong on our side"),
          _l("Please go back to the welcome page and try again. If it keeps happening, let a member of staff know.")),
}

bp = Blueprint("web", __name__)


class KioskFlask(Flask):
    """Flask, but its error log lines carry no request path, and it keeps no order of pages used."""

    # A plain dict (-1) of compiled templates, not a least-recently-used cache, whose
    # order would tell which page was shown last.
    jinja_options = {**Flask.jinja_options, "cache_size": -1}

    def log_exception(self, exc_info) -> None:
        """Log the exception's type and our code's frames, not the URL or the exception's text."""
        kind, _value, tb = exc_info
        frames = "".join(traceback.format_tb(tb))
        self.logger.error("Unhandled %s while serving a page\n%s", kind.__name__, frames)

    def send_static_file(self, filename: str) -> Response:
        """A static file, kept by the browser for good when its address names its present content (``?v=``)."""
        response = super().send_static_file(filename)
        current = self.extensions["kiosk_static_hashes"].get(filename)
        response.headers["Cache-Control"] = IMMUTABLE if current and request.args.get("v") == current else "no-cache"
        return response

    def ensure_sync(self, func):
        """Flask's, with a quicker look at a plain function or method: Flask asks this of every hook and
        view on every request, and ``inspect``'s own look costs more than some of the hooks."""
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def static_hashes(folder: Path) -> dict[str, str]:
    """A short hash of each file's content in the static folder, by its name there."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(Path(folder).rglob("*")) if path.is_file()}


def _add_static_hash(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        version = current_app.extensions["kiosk_static_hashes"].get(values.get("filename", ""))
        if version:
            values["v"] = version


class ProtectiveHeaders:
    """WSGI middleware: every response gets the security headers, and nothing but static files is stored.

    Added here rather than through Flask's response object because it runs on
    every request, and a ready list of header lines costs nothing to append.
    """

    def __init__(self, wsgi_app, static_prefix: str = "/static/"):
        self.wsgi_app = wsgi_app
        self.static_prefix = static_prefix
        self.headers = list(SECURITY_HEADERS.items())
        self.not_stored = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]

    def __call__(self, environ, start_response):
        static = environ.get("PATH_INFO", "").startswith(self.static_prefix)

        def start_protected(status, headers, exc_info=None):
            if not static:
                headers[:] = [header for header in headers if header[0] != "Cache-Control"] + self.not_stored
            headers.extend(self.headers)
            return start_response(status, headers, exc_info)
        return self.wsgi_app(environ, start_protected)


def _render_error(error: HTTPException):
    code = error.code if error.code in ERROR_MESSAGES else (500 if (error.code or 500) >= 500 else 400)
    title, advice = ERROR_MESSAGES[code]
    return render_page("error.html", str(title), heading=title, advice=advice), error.code or code


@bp.get("/healthz")
def healthz():
    """Status, what is served and in which languages, as JSON. Never anything about patrons."""
    content = current_content()
    library = content.library
    waiting = content_holder().waiting
    instance = folder_state(Path(current_app.instance_path))
    return jsonify(
        # "degraded": patrons are served, but something staff must see to is wrong.
        status="ok" if instance.problem is None else "degraded",
        instance_writable=instance.writable,
        instance_free_bytes=instance.free_bytes,
        instance_problem=instance.problem,
        articles=len(library.articles),
        languages=len(current_app.config["KIOSK_LANGUAGES"]),
        language_tags=[language.tag for language in current_app.config["KIOSK_LANGUAGES"]],
        default_language=current_app.config["KIOSK_DEFAULT_LANGUAGE"].tag,
        content_errors=library.error_count,
        content_warnings=len(library.problems) - library.error_count,
        content_version=content.version,
        content_published=content.published,
        content_taken_at=content.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        content_waiting=None if waiting is None else {
            "version": waiting.version, "kind": waiting.kind, "files_left": len(waiting.reasons),
            "reasons": list(waiting.reasons[:20])},
    )


def init_app(app: Flask) -> None:
    """Headers on every response, hashed static addresses, friendly error pages, ``/healthz``; and what
    requests left in memory forgotten at the end of each patron session."""
    app.extensions["kiosk_static_hashes"] = static_hashes(Path(app.static_folder))
    app.url_defaults(_add_static_hash)
    app.wsgi_app = ProtectiveHeaders(app.wsgi_app)
    # Unexpected exceptions reach this too, as InternalServerError, after log_exception.
    app.register_error_handler(HTTPException, _render_error)
    app.register_blueprint(bp)
    forgetting.init_app(app)
