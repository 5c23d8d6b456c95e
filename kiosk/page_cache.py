"""Rendered patron pages, kept for the current patron session only.

A page is a pure function of its address and the kiosk's settings, so once
rendered it can be served again as bytes; that makes a revisited page (Back,
a language switched back, a topic list) as cheap as the bare web stack. What
the cache holds is exactly what the current patron has opened, so every end of
a patron session (``reset_patron_session``) and every settings change empties
it: nothing in it ever outlives the patron who caused it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request

CACHEABLE_ENDPOINTS = frozenset({"patron.welcome", "patron.topic", "patron.article", "patron.search",
                                "patron.about"})
MAX_PAGES = 256


class PageCache:
    """A small, thread-safe, least-recently-used store of page bodies by address."""

    def __init__(self, max_pages: int = MAX_PAGES):
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._max_pages = max_pages
        self._last_used = time.monotonic()

    def get(self, address: str) -> bytes | None:
        """The stored body for ``address``, if any."""
        with self._lock:
            self._last_used = time.monotonic()
            body = self._pages.get(address)
            if body is not None:
                self._pages.move_to_end(address)
            return body

    def put(self, address: str, body: bytes) -> None:
        """Store ``body`` for ``address``, dropping the least recently used page if full."""
        with self._lock:
            self._last_used = time.monotonic()
            self._pages[address] = body
            self._pages.move_to_end(address)
            while len(self._pages) > self._max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._pages.clear()

    def clear_if_idle(self, seconds: float) -> bool:
        """Forget every page if none was asked for in ``seconds``; True if pages were dropped."""
        with self._lock:
            if self._pages and time.monotonic() - self._last_used >= seconds:
                self._pages.clear()
                return True
            return False

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)


def page_cache(app: Flask | None = None) -> PageCache:
    """The page cache of ``app``, or of the app handling the current request."""
    return (app or current_app).extensions["kiosk_page_cache"]


def _cacheable() -> bool:
    return request.method == "GET" and request.endpoint in CACHEABLE_ENDPOINTS


def _serve_stored():
    if _cacheable():
        body = page_cache().get(request.full_path)
        if body is not None:
            g.page_from_cache = True
            return Response(body, mimetype="text/html")
    return None


def _store(response: Response) -> Response:
    if _cacheable() and response.status_code == 200 and not g.get("page_from_cache"):
        page_cache().put(request.full_path, response.get_data())
    return response


def init_app(app: Flask) -> None:
    """Serve stored pages before rendering, and store freshly rendered ones."""
    app.extensions["kiosk_page_cache"] = PageCache()
    app.before_request(_serve_stored)
    app.after_request(_store)
