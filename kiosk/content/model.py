"""The content library as immutable objects: topics, articles and their language versions.

Built by ``content.loader``; requests only read it. A whole ``Library`` is
replaced at once when the content folder changes, never edited in place.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""The name of an article, a topic or a help service, in addresses and file names: lower-case ASCII
letters and digits, joined by single hyphens."""
WEB_ADDRESS = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
"""An address on the web (a link out of the kiosk, an article's source): http or https, a host, no spaces."""


class TranslationState(enum.Enum):
    """How an article stands in one language: the one vocabulary for it everywhere.

    The library decides it, and the status report, the staff screen, the
    command line and the patron's notices all use these words.
    """

    SOURCE = "source"
    """The language the article was written in."""
    REVIEWED = "reviewed"
    """Translated from the source's present revision and checked by a fluent person."""
    UNREVIEWED = "unreviewed"
    """Translated from the source's present revision; no fluent person has checked it yet."""
    OUTDATED = "outdated"
    """Translated from an older revision of the source (whether or not it was checked then)."""
    MISSING = "missing"
    """No translation: readers are shown the source, with a notice."""

    @property
    def label(self) -> str:
        """The state's name for staff, in the interface language."""
        # Imported here: only the app's pages show a label, and a look's child reads the model without Flask.
        from flask_babel import pgettext

        match self:
            case TranslationState.SOURCE:
                return pgettext("translation state, on the staff screen", "original")
            case TranslationState.REVIEWED:
                return pgettext("translation state, on the staff screen", "reviewed")
            case TranslationState.UNREVIEWED:
                return pgettext("translation state, on the staff screen", "not yet reviewed")
            case TranslationState.OUTDATED:
                return pgettext("translation state, on the staff screen", "out of date")
            case TranslationState.MISSING:
                return pgettext("translation state, on the staff screen", "missing")


class Severity(enum.Enum):
    """How much a problem in the content folder matters."""

    ERROR = "error"
    """Something is not served (a file or a publisher PDF is skipped): it must be fixed."""
    WARNING = "warning"
    """Everything is served, but something was ignored: worth a look."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the content folder, with where it is."""

    path: Path
    line: int | None
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """True when something is not served because of this problem."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.severity.value}: {self.message}"


def count_errors(problems: Iterable[Problem]) -> int:
    """How many of ``problems`` are errors (warnings do not count)."""
    return sum(1 for problem in problems if problem.is_error)


@dataclass(frozen=True)
class Topic:
    """A group of articles, named in each language."""

    slug: str
    names: Mapping[str, str]

    def name(self, language: str) -> str:
        """The topic's name in ``language``, else the first name it was given."""
        return self.names.get(language) or next(iter(self.names.values()))


@dataclass(frozen=True)
class NarrationSegment:
    """A stretch of a recorded narration and the whole sentences heard in it."""

    start_ms: int
    end_ms: int | None
    """``None``: until the next stretch starts, or the recording ends."""
    ranges: tuple[tuple[str, int, int], ...]
    """Where its sentences are on the page: (read-aloud part name, first character, length)."""


@dataclass(frozen=True)
class Narration:
    """A person's recording of one language version, checked against its text (``content/narration.py``)."""

    audio: Path
    timings: Path
    segments: tuple[NarrationSegment, ...]


@dataclass(frozen=True)
class ArticleVersion:
    """An article in one language, rendered and ready to serve."""

    language: str
    title: str
    summary: str
    html: str
    """The body, rendered and sanitised (its plain text, for search or speech, is ``markdown.plain_text``)."""
    word_count: int
    reading_minutes: int
    attribution: str
    attribution_language: str
    """The language the attribution line is written in (the source's, unless translated)."""
    translated_from: int | None
    """The source revision this translation was made from; ``None`` for the source."""
    reviewed: bool
    """Whether a fluent person has checked this version (always true for the source)."""
    publisher_pdf: Path | None
    web_links: tuple[str, ...]
    path: Path
    narration: Narration | None = None
    """A person reading this version, where one was recorded; Listen plays it instead of the kiosk's voice."""


@dataclass(frozen=True)
class Article:
    """One article: its source version and any translations."""

    slug: str
    source_language: str
    revision: int
    topics: tuple[str, ...]
    licence: str
    source_url: str | None
    versions: Mapping[str, ArticleVersion]
    help_kinds: tuple[str, ...] = ()
    """The kinds of local help its readers may need (front matter ``help:``), listed at its end."""

    @property
    def source(self) -> ArticleVersion:
        """The version in the language the article was written in."""
        return self.versions[self.source_language]

    def version_for(self, language: str) -> ArticleVersion:
        """The version to show a reader of ``language``: its translation, else the source."""
        return self.versions.get(language) or self.source

    def state_in(self, language: str) -> TranslationState:
        """How the article stands in ``language``."""
        if language == self.source_language:
            return TranslationState.SOURCE
        version = self.versions.get(language)
        if version is None:
            return TranslationState.MISSING
        if (version.translated_from or 0) < self.revision:
            return TranslationState.OUTDATED
        return TranslationState.REVIEWED if version.reviewed else TranslationState.UNREVIEWED

    def needs_fluent_check(self, language: str) -> bool:
        """Whether readers of ``language`` are shown a translation no fluent person has checked.

        True for every unreviewed translation, outdated or not; readers are told so.
        """
        version = self.versions.get(language)
        return version is not None and language != self.source_language and not version.reviewed


KINDS = ("emergency", "sexual-health", "violence-and-abuse", "mental-health", "lgbtq-support", "legal-help",
         "housing", "general")
"""The kinds of help a local service can give; each has a name in every language (kiosk/patron/help.py)."""


@dataclass(frozen=True)
class HelpService:
    """One local service, checked."""

    id: str
    kinds: tuple[str, ...]
    names: Mapping[str, str]
    descriptions: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    hours: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    phone: str = ""
    address: str = ""
    website: str = ""
    languages: tuple[str, ...] = ()
    """Tags of the languages spoken there (any BCP 47 tag Babel knows, not only the kiosk's)."""
    example: bool = False

    @property
    def phone_address(self) -> str:
        """The phone number as a ``tel:`` address (digits, and ``+`` for an international one)."""
        digits = re.sub(r"[^0-9]", "", self.phone)
        return f"tel:{'+' if self.phone.startswith('+') else ''}{digits}" if digits else ""

    def to_data(self) -> dict[str, Any]:
        """The service as ``help.yaml`` holds it."""
        data: dict[str, Any] = {"id": self.id}
        if self.example:
            data["example"] = True
        data["kinds"] = list(self.kinds)
        data["name"] = dict(self.names)
        for key, texts in (("description", self.descriptions), ("hours", self.hours)):
            if texts:
                data[key] = dict(texts)
        for key in ("phone", "address", "website"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.languages:
            data["languages"] = list(self.languages)
        return data


@dataclass(frozen=True)
class HelpList:
    """The local services, in the order staff chose."""

    services: tuple[HelpService, ...] = ()
    source_language: str = "en"
    reviewed: tuple[str, ...] = ("en",)
    """Languages whose text a fluent person has checked (the source language always counts)."""
    path: Path | None = None
    unreadable: bool = False
    """The file is there but could not be read at all (a running kiosk keeps its last good list)."""

    def for_kinds(self, kinds: tuple[str, ...]) -> tuple[HelpService, ...]:
        """The services that give any of ``kinds``, in list order."""
        return tuple(service for service in self.services if set(service.kinds) & set(kinds))

    def text(self, service: HelpService, key: str, language: str) -> tuple[str, str] | None:
        """(text, its language) of field ``key`` for a reader of ``language``: theirs, else the source's."""
        texts = {"name": service.names, "description": service.descriptions, "hours": service.hours}[key]
        for tag in (language, self.source_language):
            if texts.get(tag):
                return texts[tag], tag
        return None

    def checked_in(self, language: str) -> bool:
        """Whether text in ``language`` is the source or was checked by a fluent person."""
        return language == self.source_language or language in self.reviewed


@dataclass(frozen=True)
class Library:
    """Everything the kiosk serves, plus what was wrong with the content folder."""

    folder: Path
    topics: Mapping[str, Topic]
    articles: Mapping[str, Article]
    problems: tuple[Problem, ...] = field(default=())
    help: HelpList = field(default_factory=lambda: HelpList())
    """The local help services (``help.yaml``)."""

    def articles_in(self, topic: str) -> tuple[Article, ...]:
        """The articles filed under ``topic``."""
        return tuple(article for article in self.articles.values() if topic in article.topics)

    def read(self, slugs: Iterable[str], language: str) -> list[Article]:
        """The articles of ``slugs`` there are, in that order, to be shown to a reader of ``language``."""
        # A library read from disk reads them in a few queries, each with its version in ``language``.
        read_all = getattr(self.articles, "read_all", None)
        if read_all is not None:
            return read_all(language, slugs)
        return [self.articles[slug] for slug in slugs if slug in self.articles]

    def sorted_for(self, language: str, articles: Iterable[Article] | None = None) -> list[Article]:
        """Articles (all of them if none are given) ordered by their title as a reader of ``language`` sees it."""
        chosen = self.read(self.articles, language) if articles is None else articles
        return sorted(chosen, key=lambda article: article.version_for(language).title.casefold())

    @property
    def error_count(self) -> int:
        """Problems that keep something from being served."""
        return count_errors(self.problems)


class FrozenMap(Mapping):
    """A read-only mapping that, unlike ``MappingProxyType``, can be pickled.

    Parsed articles travel between processes and into the start-up cache.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping | Iterable = ()):
        self._items = dict(items)

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key) -> bool:
        return key in self._items

    def get(self, key, default=None):
        """The value for ``key``, or ``default``."""
        return self._items.get(key, default)

    def __reduce__(self):
        return (FrozenMap, (self._items,))

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


def freeze(mapping: Mapping) -> FrozenMap:
    """A read-only copy of ``mapping`` for the immutable library."""
    return FrozenMap(mapping)
