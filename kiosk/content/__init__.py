"""The content being served: the library, its search index, and which version they are.

A request takes the current ``Content`` once (``current_content``) and uses it
to the end, so it never mixes two versions of the library, even when new
content is taken while it runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask, current_app, g

from ..languages import LANGUAGES
from .loader import load_library
from .model import Library
from .search import SearchIndex
from .startup_cache import StartupCache


@dataclass(frozen=True)
class Content:
    """One consistent version of what is served."""

    library: Library
    search: SearchIndex
    taken_at: datetime
    """When this version started being served (UTC)."""


class ContentHolder:
    """Holds the content being served and swaps in a new version in one step."""

    def __init__(self, content: Content):
        self._content = content
        self._lock = threading.Lock()

    @property
    def current(self) -> Content:
        """The content being served now."""
        return self._content

    def replace(self, library: Library) -> Content:
        """Index ``library`` and serve it from now on; requests already running keep the old one."""
        content = prepare(library)
        with self._lock:
            self._content = content
        return content


def prepare(library: Library) -> Content:
    """Build the search index for ``library``, ready to be served.

    Every registered language is indexed, so staff can offer another one without a restart.
    """
    return Content(library, SearchIndex.build(library, [language.tag for language in LANGUAGES]),
                   datetime.now(timezone.utc))


def init_app(app: Flask) -> None:
    """Load and validate the content folder (reusing what the last start parsed), and index it.

    Problems are logged as warnings (they name files, never patrons); the
    kiosk serves everything that is valid.
    """
    cache = StartupCache(app.instance_path)
    library = load_library(app.config["KIOSK_CONTENT"], cache=cache)
    cache.save()
    for problem in library.problems:
        app.logger.warning("content: %s", problem)
    app.extensions["kiosk_content"] = ContentHolder(prepare(library))


def content_holder(app: Flask | None = None) -> ContentHolder:
    """The holder of ``app``'s content (or the current app's)."""
    return (app or current_app).extensions["kiosk_content"]


def current_content() -> Content:
    """The content this request uses, from its first look to its end."""
    if "content" not in g:
        g.content = content_holder().current
    return g.content


def get_library() -> Library:
    """The library this request uses."""
    return current_content().library


def get_search() -> SearchIndex:
    """The search index this request uses."""
    return current_content().search
