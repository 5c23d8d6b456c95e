"""Friendly error pages, and error logging that never names what a patron did.

Flask's own log line for an unhandled error names the path, which would
reveal the article or search; ``KioskFlask.log_exception`` logs only the
exception type and where in our code it happened.
"""

from __future__ import annotations

import traceback

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (_l("Something in that request was not right"),
          _l("Please go back to the welcome page and try again.")),
    404: (_l("We could not find that page"),
          _l("It may have moved, or the address may have a typing mistake.")),
    405: (_l("That does not work here"),
          _l("Please go back to the welcome page and try again.")),
    500: (_l("Something went wrong on our side"),
          _l("Please go back to the welcome page and try again. If it keeps happening, let a member of staff know.")),
}


class KioskFlask(Flask):
    """Flask, but its error log lines carry no request path."""

    def log_exception(self, exc_info) -> None:
        """Log the exception's type and our code's frames, not the URL or the exception's text."""
        kind, _value, tb = exc_info
        frames = "".join(traceback.format_tb(tb))
        self.logger.error("Unhandled %s while serving a page\n%s", kind.__name__, frames)


def _render_error(error: HTTPException):
    code = error.code if error.code in MESSAGES else (500 if (error.code or 500) >= 500 else 400)
    title, advice = MESSAGES[code]
    return render_template("error.html", title=title, advice=advice, code=code), error.code or code


def init_app(app: Flask) -> None:
    """Show a friendly page, in the visitor's language, for every error."""
    # Unexpected exceptions reach this too, as InternalServerError, after log_exception.
    app.register_error_handler(HTTPException, _render_error)
