"""The library and its search index, loaded once when the app is created."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .content_loader import load_library
from .languages import LANGUAGES
from .library import Library
from .search import SearchIndex


@dataclass(frozen=True)
class LoadedContent:
    """What start-up prepared for requests to read."""

    library: Library
    search: SearchIndex


def init_app(app: Flask) -> None:
    """Load and validate the content folder, build the search index, report problems.

    Problems are logged as warnings (they name files, never patrons); the
    kiosk serves everything that is valid.
    """
    library = load_library(app.config["KIOSK_CONTENT"])
    for problem in library.problems:
        app.logger.warning("content: %s", problem)
    # Every registered language is indexed, so staff can offer another one without a restart.
    languages = [language.tag for language in LANGUAGES]
    app.extensions["kiosk_content"] = LoadedContent(library, SearchIndex.build(library, languages))


def get_library() -> Library:
    """The library of the running app."""
    return current_app.extensions["kiosk_content"].library


def get_search() -> SearchIndex:
    """The search index of the running app."""
    return current_app.extensions["kiosk_content"].search
