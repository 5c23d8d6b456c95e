"""The local help services as a reader of one language is shown them, wherever they are shown.

Get help (``patron/help.py``), the end of an article and its handout, and the
staff's editor of the list all show services this way: each text in the
reader's language where it is written in it, else in the list's source
language with a notice, and the kinds of help named in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_pgettext

from .content.help_list import spoken_language_name
from .content.model import KINDS, HelpList, HelpService
from .content.serving import get_library
from .languages import Language

KIND_NAMES = {
    "emergency": lazy_pgettext("kind of help service", "Emergency"),
    "sexual-health": lazy_pgettext("kind of help service", "Sexual health"),
    "violence-and-abuse": lazy_pgettext("kind of help service", "Violence and abuse"),
    "mental-health": lazy_pgettext("kind of help service", "Mental health"),
    "lgbtq-support": lazy_pgettext("kind of help service", "LGBTQ+ support"),
    "legal-help": lazy_pgettext("kind of help service", "Legal help"),
    "housing": lazy_pgettext("kind of help service", "Housing"),
    "general": lazy_pgettext("kind of help service", "General help"),
}
assert set(KIND_NAMES) == set(KINDS), "every kind of help needs its name here"
AT_ARTICLE_END = 3
"""Services listed at the end of an article (and on its handout); the help page lists them all."""


@dataclass(frozen=True)
class Text:
    """A piece of a service's text, in the language it is written in."""

    text: str
    language: str
    checked: bool
    """The source's text, or a translation a fluent person checked."""


@dataclass(frozen=True)
class ShownService:
    """One service as a reader of one language is shown it."""

    service: HelpService
    name: Text
    description: Text | None
    hours: Text | None
    kinds: tuple[str, ...]
    spoken: tuple[str, ...]
    """The languages spoken there, named in the reader's language."""

    @property
    def needs_notice(self) -> bool:
        """Whether any of its text is in another language, or a translation no fluent person checked."""
        return any(part is not None and not part.checked for part in (self.name, self.description, self.hours))


def _text(help_list: HelpList, service: HelpService, key: str, language: Language) -> Text | None:
    found = help_list.text(service, key, language.tag)
    if found is None:
        return None
    text, written_in = found
    return Text(text, written_in, written_in == language.tag and help_list.checked_in(written_in))


def shown(help_list: HelpList, services, language: Language) -> list[ShownService]:
    """``services`` as a reader of ``language`` is shown them."""
    return [ShownService(
        service=service, name=_text(help_list, service, "name", language),
        description=_text(help_list, service, "description", language),
        hours=_text(help_list, service, "hours", language),
        kinds=tuple(str(KIND_NAMES[kind]) for kind in service.kinds),
        spoken=tuple(spoken_language_name(tag, language.locale) or tag for tag in service.languages),
    ) for service in services]


def services_for(kinds: tuple[str, ...], language: Language, limit: int = AT_ARTICLE_END) -> list[ShownService]:
    """The first ``limit`` services giving any of ``kinds``, for a reader of ``language`` (for an article's end)."""
    help_list = get_library().help
    return shown(help_list, help_list.for_kinds(kinds)[:limit], language)


def init_app(app: Flask) -> None:
    """Let the article and handout templates list the services for an article's kinds of help."""
    app.jinja_env.globals["help_services_for"] = services_for
