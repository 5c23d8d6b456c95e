"""The content library as immutable objects: topics, articles and their language versions.

Built once at start-up by ``content_loader``; requests only read it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping


class TranslationState(enum.Enum):
    """How an article stands in one language."""

    SOURCE = "source"
    """This language is the one the article was written in."""
    CURRENT = "current"
    """Translated from the source's present revision."""
    OUTDATED = "outdated"
    """Translated from an older revision of the source."""
    MISSING = "missing"
    """No translation; the source version is shown instead."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the content folder, with where it is."""

    path: Path
    line: int | None
    message: str
    severity: str = "error"
    """``error`` must be fixed (a file skipped, a PDF ignored); ``warning`` is worth a look."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Topic:
    """A group of articles, named in each language."""

    slug: str
    names: Mapping[str, str]

    def name(self, language: str) -> str:
        """The topic's name in ``language``, else the first name it was given."""
        return self.names.get(language) or next(iter(self.names.values()))


@dataclass(frozen=True)
class ArticleVersion:
    """An article in one language, rendered and ready to serve."""

    language: str
    title: str
    summary: str
    html: str
    text: str
    word_count: int
    reading_minutes: int
    attribution: str
    attribution_language: str
    """The language the attribution line is written in (the source's, unless translated)."""
    translated_from: int | None
    """The source revision this translation was made from; ``None`` for the source."""
    reviewed: bool
    publisher_pdf: Path | None
    web_links: tuple[str, ...]
    path: Path


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

    @property
    def source(self) -> ArticleVersion:
        """The version in the language the article was written in."""
        return self.versions[self.source_language]

    def version_for(self, language: str) -> ArticleVersion:
        """The version to show a reader of ``language``: its translation, else the source."""
        return self.versions.get(language) or self.source

    def state_in(self, language: str) -> TranslationState:
        """Whether ``language`` has the source, a current or outdated translation, or none."""
        if language == self.source_language:
            return TranslationState.SOURCE
        version = self.versions.get(language)
        if version is None:
            return TranslationState.MISSING
        if (version.translated_from or 0) < self.revision:
            return TranslationState.OUTDATED
        return TranslationState.CURRENT


@dataclass(frozen=True)
class Library:
    """Everything the kiosk serves, plus what was wrong with the content folder."""

    folder: Path
    topics: Mapping[str, Topic]
    articles: Mapping[str, Article]
    problems: tuple[Problem, ...] = field(default=())

    def articles_in(self, topic: str) -> tuple[Article, ...]:
        """The articles filed under ``topic``."""
        return tuple(article for article in self.articles.values() if topic in article.topics)

    def sorted_for(self, language: str, articles=None) -> list[Article]:
        """Articles ordered by their title as a reader of ``language`` sees it."""
        chosen = self.articles.values() if articles is None else articles
        return sorted(chosen, key=lambda article: article.version_for(language).title.casefold())


def freeze(mapping: dict) -> Mapping:
    """A read-only view of ``mapping`` for the immutable library."""
    return MappingProxyType(mapping)
