"""The page around every screen, rendered ahead of time and filled in per request.

Most of a page (header, Quick exit, search box, language switcher, footer, idle
warning) depends only on the language, the text size and contrast, and the
kiosk's settings. ``Layouts`` renders ``layout.html`` for each of those once,
at start-up and whenever staff change the settings, into a ``SlotTemplate``:
the finished HTML with a few named holes (``late("...")`` in the template) for
what belongs to one page: its title, its content, and the addresses of the
same page in another language or at another text size. A request renders only
its own content and fills the holes, which costs a string join.

The holes are marked with private-use characters, which nothing in a
translation or an article can contain, and every value but the page's content
is escaped as it goes in. Nothing here depends on what any patron did: every
layout is rendered whether or not anyone uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, request, url_for
from flask_babel import force_locale
from markupsafe import Markup, escape
from werkzeug.test import create_environ

from .atomic import read_json, write_json_atomically
from .display import (
    ALL_DISPLAY_CHOICES,
    DEFAULT_DISPLAY,
    DISPLAY_ARGUMENTS,
    DisplayChoices,
    display_choices,
    display_of_query,
)
from .i18n import compile_templates, current_language, default_language, offered_languages, render_in_language
from .instance import set_aside
from .languages import Language
from .settings import rendered_settings
from .shipped import code_digest
from .signals import signals_of

SLOT_START, SLOT_END, SLOT_SEPARATOR = "\ue000", "\ue001", "\ue002"
HTML_HOLES = frozenset({"main", "body"})
"""Holes filled with finished HTML (the page's content, an article's sanitised body); every other
hole is escaped."""
LAYOUT_KINDS = ("patron", "pristine", "staff", "staff-locked")
"""The patron pages; the untouched welcome page (no idle timer: nothing to clear); the staff
screens once unlocked, and before."""


def late(name: str, *arguments: str) -> Markup:
    """A hole named ``name`` in a template rendered ahead of time, filled in per request."""
    return Markup(SLOT_START + SLOT_SEPARATOR.join((name, *arguments)) + SLOT_END)


def late_link(language: str, display: DisplayChoices) -> Markup:
    """A hole for this page's address in ``language`` with ``display``."""
    return late("link", language, display.query)


class SlotTemplate:
    """Finished HTML with named holes, split once into its text and its holes.

    A ``link`` hole (``late_link``) is the page's own address in another
    language or with other display choices. It is split here into what every
    page shares (``/es/`` before, ``?size=2`` after) and a hole for the page's
    own path, which a request fills once for all its links.
    """

    __slots__ = ("_parts", "_encoded", "_values", "_here")

    def __init__(self, source: str):
        alone: list[str | None] = []  # for a page whose address has no query arguments of its own
        after: list[str | None] = []  # and for one that has (``?q=...``), after which choices follow ``&``
        values: list[tuple[int, str]] = []
        here: list[int] = []
        for index, part in enumerate(source.split(SLOT_START)):
            if index:
                hole, _, part = part.partition(SLOT_END)
                name, *arguments = hole.split(SLOT_SEPARATOR)
                if name == "link":
                    language, display_query = arguments
                    alone.append(f"/{language}/")
                    after.append(alone[-1])
                    here.append(len(alone))
                    alone.append(None)
                    after.append(None)
                    alone.append(str(escape(f"?{display_query}")) if display_query else "")
                    after.append(str(escape(f"&{display_query}")) if display_query else "")
                else:
                    values.append((len(alone), name))
                    alone.append(None)
                    after.append(None)
            alone.append(part)
            after.append(part)
        self._parts = (alone, after if here else alone)
        self._encoded: tuple[list[bytes | None], ...] | None = None
        self._values = tuple(values)
        self._here = tuple(here)

    def fill(self, values: Mapping[str, Any], here: PageAddress | None = None) -> str:
        """The HTML with every hole filled with ``values[name]``, escaped unless it is one of ``HTML_HOLES``,
        and every link with the page's address ``here``."""
        return "".join(self._filled(self._parts, values, here, str))

    def encode(self) -> SlotTemplate:
        """Keep the text in UTF-8 too, for ``fill_encoded`` (done for every layout ahead of time, whatever is used)."""
        self._encoded = tuple([None if part is None else part.encode() for part in parts] for parts in self._parts)
        return self

    def fill_encoded(self, values: Mapping[str, Any], here: PageAddress | None = None) -> bytes:
        """``fill``, in UTF-8: a value in one of ``HTML_HOLES`` may be UTF-8 already (a page read from disk),
        and goes in without being decoded and encoded again. Needs ``encode`` first."""
        return b"".join(self._filled(self._encoded, values, here, bytes))

    def _filled(self, variants: tuple[list, ...], values: Mapping[str, Any], here: PageAddress | None,
                kind: type) -> list:
        parts = variants[here is not None and here.has_arguments].copy()
        done: dict[str, Any] = {}  # a value in many holes (an article's slug) is escaped once
        for index, name in self._values:
            value = done.get(name)
            if value is None:
                value = values[name] if name in HTML_HOLES else escape(values[name])
                if isinstance(value, str) and kind is bytes:
                    value = value.encode()
                done[name] = value
            parts[index] = value
        if self._here:
            path = here.path if kind is str else here.path.encode()
            for index in self._here:
                parts[index] = path
        return parts


class PageAddress:
    """Where a page is, apart from its language and display choices: ``tail`` is the path after
    ``/<lang>/``, ``arguments`` the page's own query arguments (a search, a second language), which
    its links to other languages and display choices keep."""

    __slots__ = ("path", "has_arguments")

    def __init__(self, tail: str, arguments: tuple[tuple[str, str], ...] = ()):
        self.has_arguments = bool(arguments)
        # Quoted, a path has nothing HTML must escape; the arguments have their "&".
        self.path = f"{quote(tail)}?{escape(urlencode(arguments))}" if arguments else quote(tail)
        """The address after ``/<lang>/``, escaped for HTML."""

    @classmethod
    def of_request(cls) -> PageAddress:
        """The address of the page being served (the welcome page's, off the ``/<lang>/`` tree)."""
        if "language" not in g:
            return cls("")
        parts = request.path.split("/", 2)
        tail = parts[2] if len(parts) == 3 else ""
        if display_of_query(request.query_string) is not None:
            return cls(tail)
        return cls(tail, tuple((key, value) for key, value in request.args.items(multi=True)
                               if key not in DISPLAY_ARGUMENTS))


class Links:
    """Addresses of pages in one language, carrying one set of display choices.

    Built from the app's URL rules once, so a page's links cost a string
    replacement each instead of a full ``url_for``. The display choices are
    given as what follows a path (``?size=2``) and what follows other query
    arguments (``&size=2``); in a page rendered ahead of time they are holes.
    """

    def __init__(self, rules: Mapping[str, str], language: str, display_alone: str, display_after: str):
        self._rules = rules
        self._language = language
        self._display_alone = display_alone
        self._display_after = display_after

    @classmethod
    def for_display(cls, rules: Mapping[str, str], language: str, display: DisplayChoices) -> Links:
        """Links carrying ``display``."""
        query = display.query
        return cls(rules, language, f"?{query}" if query else "", f"&{query}" if query else "")

    def __call__(self, endpoint: str, **values: Any) -> str:
        """The address of ``endpoint``; values its rule does not take become query arguments."""
        address, extra = self._fill(endpoint, values)
        if extra:
            return f"{address}?{urlencode(extra)}{self._display_after}"
        return address + self._display_alone

    def path(self, endpoint: str, **values: Any) -> str:
        """The path alone, for a form that sends the display choices as fields of its own."""
        return self._fill(endpoint, values)[0]

    def _fill(self, endpoint: str, values: dict[str, Any]) -> tuple[str, list]:
        address = self._rules[endpoint].replace("<lang>", self._language)
        extra = []
        for key, value in values.items():
            placeholder = f"<{key}>"
            if placeholder in address:
                # A hole (Markup) goes in as it is; anything else is quoted.
                address = address.replace(placeholder, value if isinstance(value, Markup) else quote(str(value), safe=""))
            elif value is not None:
                extra.append((key, value))
        return address, extra


def _patron_rules(app: Flask) -> dict[str, str]:
    """Every ``/<lang>/...`` rule by endpoint, e.g. ``patron.article`` -> ``/<lang>/articles/<slug>``."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/<lang>/") and "GET" in (rule.methods or ())}


LAYOUTS_FILE = "layouts.json"
"""Every layout as rendered, in the instance folder, under a digest of all it is rendered with."""


class Layouts:
    """Every layout of the kiosk, for each offered language and display choice.

    Rendering them all (121 for twelve languages) took a quarter of a second of
    every start; they are kept in ``LAYOUTS_FILE`` under a digest of what they
    are rendered with (the kiosk's code, templates and catalogs, the static
    files, the settings), so a restart only reads them.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.rules = _patron_rules(app)
        self._layouts: dict[tuple[str, str, DisplayChoices], SlotTemplate] = {}

    def build(self) -> None:
        """Read, or render, every layout for the app's present settings (and compile every page's template)."""
        compile_templates(self.app)
        with ahead_of_time(self.app):
            places = [("patron", language, display) for language in offered_languages()
                      for display in ALL_DISPLAY_CHOICES]
            places += [(kind, language, DEFAULT_DISPLAY) for language in offered_languages()
                       for kind in ("staff", "staff-locked")]
            places.append(("pristine", default_language(), DEFAULT_DISPLAY))
            path, key = Path(self.app.instance_path) / LAYOUTS_FILE, self._key()
            sources = _kept_layouts(path, key, len(places))
            if sources is None:
                sources = [self._render(kind, language, display) for kind, language, display in places]
                with contextlib.suppress(OSError):  # a read-only or full instance folder: rendered at each start
                    write_json_atomically(path, {"key": key, "layouts": sources})
        self._layouts = {(kind, language.tag, display): SlotTemplate(source).encode()
                         for (kind, language, display), source in zip(places, sources, strict=True)}

    def rebuild(self, sender: Flask, **extra: Any) -> None:
        """Render every layout again (staff changed the settings they show)."""
        self.build()

    def _key(self) -> str:
        digest = hashlib.blake2b(code_digest(), digest_size=16)
        digest.update(json.dumps([rendered_settings(self.app.config),
                                  sorted(self.app.extensions["kiosk_static_hashes"].items())]).encode())
        return digest.hexdigest()

    def _render(self, kind: str, language: Language, display: DisplayChoices) -> str:
        with rendering_in(language, display):
            return str(render_in_language(
                "layout.html", layout_kind=kind, welcome_address=url_for("patron.welcome", lang=default_language().tag),
                late=late, late_link=late_link, display_arguments=" ".join(DISPLAY_ARGUMENTS)))

    def get(self, kind: str, language: str, display: DisplayChoices) -> SlotTemplate:
        """The layout for one page."""
        return self._layouts[kind, language, display]


def _kept_layouts(path: Path, key: str, count: int) -> list[str] | None:
    """The ``count`` layouts ``path`` holds, if they were rendered under ``key``; a file that is not what the
    kiosk writes is set aside, in one line naming it."""
    kept = read_json(path, None)
    if kept is None and not path.exists():
        return None
    if not (isinstance(kept, dict) and isinstance(kept.get("key"), str) and isinstance(kept.get("layouts"), list)
            and all(isinstance(source, str) for source in kept["layouts"])):
        set_aside(path, "the layouts rendered ahead of time")
        return None
    if kept["key"] != key or len(kept["layouts"]) != count:
        return None  # rendered with other code, static files or settings
    return kept["layouts"]


def ahead_of_time(app: Flask):
    """A request context for rendering pages ahead of time, outside any patron's request (a request to the root).

    Flask's ``test_request_context`` does the same, but brings Flask's test client in with it (its command line
    runner and the debugger among them: 17 ms of every start, which renders the layouts this way).
    """
    return app.request_context(create_environ())


@contextmanager
def rendering_in(language: Language, display: DisplayChoices = DEFAULT_DISPLAY):
    """Render pages in ``language`` (and ``display``) inside this block, whatever the request's own."""
    saved = {name: g.pop(name) for name in ("language", "display", "links") if name in g}
    g.language, g.display = language, display
    try:
        with force_locale(language.locale):
            yield
    finally:
        for name in ("language", "display", "links"):
            g.pop(name, None)
        for name, value in saved.items():
            setattr(g, name, value)


def layouts(app: Flask | None = None) -> Layouts:
    """The layouts of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kiosk_layouts"]


def links() -> Links:
    """Link builder for this request's language and display choices."""
    if "links" not in g:
        g.links = Links.for_display(layouts().rules, current_language().tag, display_choices())
    return g.links


def fill_layout(main: str | bytes, title: str, *, kind: str = "patron", language: Language | None = None,
                display: DisplayChoices | None = None, here: PageAddress | None = None,
                every_layout: Layouts | None = None, **values: Any) -> str | bytes:
    """The whole page: ``main`` (finished HTML) inside its layout, for this request.

    ``language``, ``display``, ``here`` (the page's address) and ``every_layout`` (the app's ``Layouts``) save
    looking up the request's own again. A ``main`` in UTF-8 (a page read from disk) gives the whole page in UTF-8,
    never decoded and encoded again.
    """
    if kind not in ("patron", "pristine"):
        display = DEFAULT_DISPLAY
    layout = (every_layout or layouts()).get(kind, (language or current_language()).tag, display or display_choices())
    fill = layout.fill if isinstance(main, str) else layout.fill_encoded
    return fill({"title": title, "main": main, "query": "", **values}, here or PageAddress.of_request())


def render_page(template: str, title: str, *, kind: str = "patron", layout_values: Mapping[str, Any] = {},
                **values: Any) -> str:
    """Render ``template`` (the page's own content) and put it in its layout.

    ``layout_values`` fill the layout's own holes beyond the title and content
    (the search box's text, a staff session's form token).
    """
    return fill_layout(render_in_language(template, **values), title, kind=kind, **layout_values)


def _template_values() -> dict[str, Any]:
    return {"language": current_language(), "display": display_choices(), "link": links(),
            "offered_languages": offered_languages()}


def init_app(app: Flask) -> None:
    """Render the layouts (after every blueprint is registered), and again whenever settings change."""
    app.context_processor(_template_values)
    app.extensions["kiosk_layouts"] = Layouts(app)
    app.extensions["kiosk_layouts"].build()
    signals_of(app).settings_changed.connect(app.extensions["kiosk_layouts"].rebuild)
