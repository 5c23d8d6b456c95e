"""Choosing the language of a request, and translating the interface into it.

The language lives in the URL (``/<lang>/...``), never in a cookie: a shared
terminal must not remember the last patron's choice. Pages outside the
``/<lang>/`` tree (errors for unknown paths, ``/healthz``, staff screens) use
the kiosk's default language.

Pages are rendered by ``render_in_language``: each offered language has its
own template environment in which every constant interface string
(``_("...")``, ``pgettext("...", "...")``) was translated once, when the
template was compiled, so a page pays nothing per string. Strings chosen at
run time (``ngettext``) and Python code (Flask-Babel's ``gettext``) use the
same catalogs, loaded once at start-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, abort, current_app, g, request
from flask_babel import Babel
from jinja2 import Environment, FileSystemBytecodeCache
from jinja2.bccache import Bucket
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup, escape
from werkzeug.routing import RequestRedirect

from .catalogs import ensure_compiled, missing_catalogs
from .languages import BY_TAG, LANGUAGES, Language, find_language
from .shipped import TRANSLATIONS
from .signals import signals_of


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


def language_display_name(tag: str) -> str:
    """The name of language ``tag`` in the interface language (``anglais`` on a French page)."""
    return Locale.parse(BY_TAG[tag].locale).get_display_name(current_language().locale)


def _pull_language(endpoint: str | None, values: dict | None) -> None:
    if not values or "lang" not in values:
        return
    tag = values.pop("lang")
    language = choose_language(tag)
    if language is None:
        abort(404)
    if language.tag != tag:
        # A relative address: the Host header is the browser's to send, never something to repeat back.
        path = quote(request.path.replace(f"/{tag}/", f"/{language.tag}/", 1), safe="/")
        query = request.query_string.decode("latin-1")
        raise RequestRedirect(f"{path}?{query}" if query else path)
    g.language = language


def _add_language(endpoint: str, values: dict) -> None:
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_language().tag


def _load_catalogs() -> dict[str, NullTranslations]:
    """Every registered language's compiled catalog, by tag."""
    return {language.tag: Translations.load(str(TRANSLATIONS), [language.locale]) for language in LANGUAGES}


def translations() -> NullTranslations:
    """The catalog of the page being rendered."""
    return current_app.extensions["kiosk_catalogs"][current_language().tag]


def format_translated(text: str, **values: Any) -> Markup:
    """A translated string with ``%(name)s`` placeholders filled in, all of it escaped."""
    return escape(text) % values


class TranslatedAtCompileTime(Extension):
    """Replaces ``_("...")``, ``gettext("...")`` and ``pgettext("...", "...")`` by their translation.

    The environment's ``catalog`` decides the language. With arguments, the
    call becomes ``format_translated("<translation>", ...)``.
    """

    def __init__(self, environment: Environment):
        super().__init__(environment)
        environment.extend(catalog=NullTranslations())

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        """Rewrite each constant gettext call in the template's tokens."""
        tokens = list(stream)
        catalog = self.environment.catalog
        index = 0
        while index < len(tokens):
            token = tokens[index]
            replaced = None
            if token.type == "name" and token.value in ("_", "gettext"):
                replaced = _fold(tokens, index, 1, lambda message: catalog.ugettext(message))
            elif token.type == "name" and token.value == "pgettext":
                replaced = _fold(tokens, index, 2, lambda context, message: catalog.upgettext(context, message))
            if replaced is None:
                yield token
                index += 1
            else:
                new_tokens, index = replaced
                yield from new_tokens


def _fold(tokens: list[Token], start: int, strings: int, translate) -> tuple[list[Token], int] | None:
    """Fold ``name ( "s1", ..., "sN" )`` or ``name ( "s1", ..., "sN", more...`` starting at ``start``."""
    shape = ["lparen"] + ["string", "comma"] * strings
    window = tokens[start + 1:start + 1 + len(shape)]
    if len(window) < len(shape) or [t.type for t in window[:-1]] != shape[:-1]:
        return None
    line = tokens[start].lineno
    text = translate(*(t.value for t in window[1::2]))
    end = window[-1]
    if end.type == "rparen":
        return [Token(line, "string", text)], start + len(shape) + 1
    if end.type == "comma":
        return [Token(line, "name", "format_translated"), Token(line, "lparen", "("),
                Token(line, "string", text), Token(line, "comma", ",")], start + len(shape) + 1
    return None


COMPILED_TEMPLATES = "compiled-templates"
"""The instance folder's sub-folder where each language's compiled templates are kept between starts."""


class CompiledTemplates(FileSystemBytecodeCache):
    """One language's compiled templates, kept in the instance folder so a restart need not compile them.

    A template is compiled once per language with that language's strings folded in,
    so its file is named for the language and a digest of what the compiled code
    depends on besides the template's own source (which Jinja checks itself): the
    language's compiled catalog, this module's code and Jinja's version. A changed
    catalog or kiosk simply misses, and older files of the language are removed. A
    damaged file is thrown away by Jinja and compiled again; a folder that cannot
    be written only means compiling at every start. Templates only: nothing about patrons.
    """

    def __init__(self, instance: Path, language: Language):
        folder = Path(instance) / COMPILED_TEMPLATES
        prefix = f"{language.tag}-{_compiled_code_key(language)}-"
        super().__init__(str(folder), pattern=prefix + "%s.cache")
        try:
            for owner_only in (folder.parent, folder):  # the instance folder may not exist yet
                owner_only.mkdir(mode=0o700, parents=True, exist_ok=True)
            for old in folder.glob(f"{language.tag}-*.cache"):
                if not old.name.startswith(prefix):
                    old.unlink()
        except OSError:  # a read-only or full instance folder: templates are compiled each start
            pass

    def load_bytecode(self, bucket: Bucket) -> None:
        """Jinja's, except that no unreadable folder or file stops a template being compiled."""
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Jinja's, except that a folder that cannot be written only means the template is not kept."""
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled_code_key(language: Language) -> str:
    digest = hashlib.blake2b(jinja2.__version__.encode(), digest_size=8)
    digest.update(Path(__file__).read_bytes())
    catalog = TRANSLATIONS / language.locale / "LC_MESSAGES" / "messages.mo"
    try:
        digest.update(catalog.read_bytes())
    except OSError:  # no catalog: the pages are in English, and keyed so
        pass
    return digest.hexdigest()


def _language_environment(app: Flask, language: Language, catalog: NullTranslations) -> Environment:
    # cache_size: an overlay otherwise shares its parent's compiled templates; and a plain
    # dict (-1) rather than a least-recently-used cache, whose order would tell which page
    # was shown last.
    environment = app.jinja_env.overlay(extensions=[TranslatedAtCompileTime], cache_size=-1,
                                        bytecode_cache=CompiledTemplates(Path(app.instance_path), language))
    environment.catalog = catalog
    return environment


def render_in_language(template: str, **context: Any) -> str:
    """Render ``template`` in the language of the page, with the app's template context."""
    environment = current_app.extensions["kiosk_template_environments"][current_language().tag]
    current_app.update_template_context(context)
    return environment.get_template(template).render(context)


def compile_templates(app: Flask, names: list[str] | None = None) -> None:
    """Compile ``names`` (every page template if None) for every offered language now.

    No page then waits for it, or shows by its speed that it was seen before.
    A template compiled already is not compiled again.
    """
    environments = app.extensions["kiosk_template_environments"]
    for language in app.config["KIOSK_LANGUAGES"]:
        for name in names if names is not None else app.jinja_env.list_templates(extensions=["html"]):
            environments[language.tag].get_template(name)


def init_app(app: Flask) -> None:
    """Route ``<lang>`` URL segments and translate templates into the page's language.

    Catalogs that were never compiled are compiled first (or the kiosk refuses
    to start, saying how), and an offered language with no catalog at all is
    logged (and failed by the readiness check): an interface silently in
    English is not an option.
    """
    ensure_compiled(TRANSLATIONS, LANGUAGES)
    for language in missing_catalogs(TRANSLATIONS, app.config["KIOSK_LANGUAGES"]):
        app.logger.warning("no interface catalog for %s: its pages would be in English "
                           "(flask --app kiosk translate init %s)", language.english_name, language.locale)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=lambda: current_language().locale)
    catalogs = app.extensions["kiosk_catalogs"] = _load_catalogs()
    app.jinja_env.globals["format_translated"] = format_translated
    app.extensions["kiosk_template_environments"] = {
        tag: _language_environment(app, BY_TAG[tag], catalog) for tag, catalog in catalogs.items()}
    # What is left to translate at run time (ngettext, a template rendered
    # outside render_in_language) uses the loaded catalogs, not Flask-Babel's
    # lookup through several context proxies per string.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.url_value_preprocessor(_pull_language)
    app.url_defaults(_add_language)
    # Templates need no content: they are compiled while the content is read.
    signals_of(app).content_loading.connect(compile_templates, weak=False)
