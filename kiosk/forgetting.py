"""What serving a patron leaves in the server's memory, let go of when their session ends.

The kiosk keeps no record of a visit, but the libraries under it keep a little:
Python's ``urllib.parse.urlsplit`` remembers the last 128 addresses it split
(waitress splits every request's address with it), search words included.
At the end of a patron session (``patron_session_ended``) that cache is
emptied, and the memory freed since is collected and given back to the
system, which erases it. What remains is memory Python freed but keeps for
its own reuse: it may still hold a searched word until something else is
written there (see the README's privacy section).
"""

from __future__ import annotations

import urllib.parse

from flask import Flask

from .content.serving import release_free_memory
from .signals import signals_of


def forget_what_requests_left(sender: Flask, **extra) -> None:
    """Empty the caches that hold a patron's addresses, and give freed memory back to the system."""
    urllib.parse.urlsplit.cache_clear()
    release_free_memory()


def init_app(app: Flask) -> None:
    """Forget what requests left behind at the end of every patron session of ``app``."""
    signals_of(app).patron_session_ended.connect(forget_what_requests_left)
