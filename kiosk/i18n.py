"""Choosing the language of a request, and the gettext set-up around it.

The language lives in the URL (``/<lang>/...``), never in a cookie: a shared
terminal must not remember the last patron's choice. Pages outside the
``/<lang>/`` tree (errors for unknown paths, ``/healthz``, staff screens) use
the kiosk's default language.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request, url_for
from flask_babel import Babel
from werkzeug.routing import RequestRedirect

from .languages import Language, find_language
from .settings import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"
# Query arguments that describe what is on screen and so survive a language switch.
KEPT_ON_LANGUAGE_SWITCH = ("q", "compare", "with")


def offered_languages() -> tuple[Language, ...]:
    """The languages this kiosk offers, in switcher order."""
    return current_app.config["KIOSK_LANGUAGES"]


def default_language() -> Language:
    """The language of the welcome page after a reset."""
    return current_app.config["KIOSK_DEFAULT_LANGUAGE"]


def choose_language(tag: str | None) -> Language | None:
    """The offered language named by a URL segment, or None if it is not offered.

    Letter case is ignored (``/ZH-hans/`` is ``zh-Hans``); the caller
    redirects to the canonical spelling.
    """
    if tag is None:
        return default_language()
    language = find_language(tag)
    return language if language in offered_languages() else None


def current_language() -> Language:
    """The language of the page being rendered."""
    return g.get("language") or default_language()


def _pull_language(endpoint: str | None, values: dict | None) -> None:
    if not values or "lang" not in values:
        return
    tag = values.pop("lang")
    language = choose_language(tag)
    if language is None:
        abort(404)
    if language.tag != tag:
        raise RequestRedirect(request.url.replace(f"/{tag}/", f"/{language.tag}/", 1))
    g.language = language


def _add_language(endpoint: str, values: dict) -> None:
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_language().tag


def url_in_language(tag: str) -> str:
    """This page's address in another language, or that language's welcome page."""
    rule = request.url_rule
    if rule is not None and "lang" in rule.arguments and request.endpoint:
        kept = {key: request.args[key] for key in KEPT_ON_LANGUAGE_SWITCH if request.args.get(key)}
        if kept.get("compare") == tag or kept.get("with") == tag:
            kept.pop("compare", None)
            kept.pop("with", None)
        return url_for(request.endpoint, **(request.view_args or {}), **kept, lang=tag)
    return url_for("patron.welcome", lang=tag)


def _babel_locale() -> str:
    return current_language().locale


def init_app(app: Flask) -> None:
    """Route ``<lang>`` URL segments, select gettext catalogs and expose helpers to templates."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=_babel_locale)
    app.url_value_preprocessor(_pull_language)
    app.url_defaults(_add_language)
    app.context_processor(lambda: {
        "language": current_language(),
        "offered_languages": offered_languages(),
        "url_in_language": url_in_language,
    })

