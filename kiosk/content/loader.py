"""Load and validate a content folder into a ``Library``.

Every problem is collected with its file and line. A broken file is skipped
(and an article whose source file is broken), but everything valid is served:
one bad file never takes the kiosk down. When a folder is read again while the
kiosk runs, a file that broke keeps its last good version (``fallback``).
Articles whose files are unchanged are taken from a ``FolderCache`` instead of
being parsed and rendered again; those parsed are handed to it one by one as
they come, so a big library is never held whole while it is read.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..languages import BY_TAG
from .files import UnreadableFile, inside, read_text, refuse_aliases
from .help_list import load_help
from .markdown import count_words, render_markdown
from .model import KINDS, SLUG, WEB_ADDRESS, Article, ArticleVersion, Library, Problem, Severity, Topic, freeze
from .narration import add_narrations

try:  # libyaml's loader is several times faster on a large library
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

SOURCE_FIELDS = {"title", "summary", "topics", "revision", "attribution", "licence"}
SOURCE_OPTIONAL = {"source_url", "publisher_pdf", "help"}
TRANSLATION_FIELDS = {"title", "summary", "translated_from", "reviewed"}
TRANSLATION_OPTIONAL = {"attribution", "publisher_pdf"}
MAX_TITLE = 120
MAX_SUMMARY = 300
PARALLEL_FROM = 200
"""Article folders from which parsing is shared among processes (fewer are quicker alone)."""
MAX_CHUNK = 8
"""Folders given to a worker at a time, at most. A chunk's articles come back as one message, which a pipe
delivers in small reads, each into a buffer as large as what is left of it; under the scrubbing allocator
each such buffer is filled and cleared, so the cost grows with the square of a message's size (625 folders
a chunk at 10,000 articles, about 44 MiB, took seconds each)."""


class ContentFolderError(Exception):
    """The content folder itself is unusable (absent or not a folder)."""


class _FileProblems(Exception):
    """Raised inside the loader to skip one file; carries its problems."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class FolderResult:
    """What one article folder gave: the article (or None), its problems, and the files that failed."""

    slug: str
    article: Article | None
    problems: tuple[Problem, ...]
    failed_languages: frozenset[str]


class FolderCache(Protocol):
    """Somewhere to keep parsed article folders by the fingerprint of their files."""

    def fingerprint(self, folder: Path, topics: frozenset[str] | None, real_parent: Path | None = None) -> str:
        """A key that changes whenever anything the folder's article depends on changes (``real_parent``: the
        folder's parent with every link followed, when it is known)."""

    def get(self, key: str) -> FolderResult | None:
        """The result stored under ``key``, if any."""

    def put(self, key: str, result: FolderResult) -> FolderResult:
        """Store ``result`` under ``key``; what the library holds in its place (it may read the article's
        versions back from where they are stored, rather than hold them)."""


def load_library(folder: Path, *, fallback: Library | None = None, cache: FolderCache | None = None,
                 meanwhile: Callable[[], None] | None = None) -> Library:
    """Read ``folder`` (``topics.yaml`` and ``articles/<slug>/<lang>.md``) into a Library.

    Raises ``ContentFolderError`` only when the folder does not exist; every
    other problem is recorded in ``Library.problems``. With ``fallback`` (the
    library being served), an article or translation whose file is now broken
    keeps its version from ``fallback``. ``meanwhile`` is called once, while
    worker processes parse the articles (or before parsing, when this process
    parses alone), so other start-up work can use the time.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentFolderError(f"content folder {folder} does not exist or is not a folder")
    meanwhile = meanwhile or _nothing
    problems: list[Problem] = []
    topics = _load_topics(folder / "topics.yaml", problems)
    if topics is None and fallback is not None and fallback.topics:
        problems.append(Problem(folder / "topics.yaml", None, "the last good version of topics.yaml is still served",
                                Severity.WARNING))
        topics = dict(fallback.topics)
    # Without a readable topics.yaml, articles cannot be checked against it: they are served
    # (on the welcome page and in search) rather than all refused for naming unknown topics.
    known_topics = frozenset(topics) if topics is not None else None
    articles: dict[str, Article] = {}
    articles_folder = folder / "articles"
    if not articles_folder.is_dir():
        problems.append(Problem(articles_folder, None, "no articles folder"))
        meanwhile()
    else:
        folders = []
        # A folder listed in a folder that is itself inside is inside, unless it is a link: only links (which
        # the listing names without a system call) are followed to see where they lead, not 10,000 folders.
        listed_inside = inside(folder, articles_folder)
        with os.scandir(articles_folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        for entry in entries:
            candidate = Path(entry.path)
            if not _is_folder(entry):
                # A file beside the folders is not an article; a link that cannot be followed was meant
                # to be one, and staff are told which (it costs only itself).
                if entry.is_symlink() and not os.path.exists(candidate):
                    problems.append(Problem(candidate, None, "article skipped: the folder is a link that leads "
                                                             "nowhere, or round in a loop"))
                continue
            if (listed_inside and not entry.is_symlink()) or inside(folder, candidate):
                folders.append(candidate)
            else:
                problems.append(Problem(candidate, None, "article skipped: the folder is a link to outside "
                                                         "the content folder"))
        for result in _load_folders(folders, known_topics, cache, meanwhile):
            problems.extend(result.problems)
            # The last good version is read only where something broke (a big library's are read from disk).
            broke = result.article is None or result.failed_languages
            previous = fallback.articles.get(result.slug) if fallback is not None and broke else None
            article = _keep_last_good(result, previous, problems)
            if article is not None:
                articles[article.slug] = article
    help_list = load_help(folder, problems)
    if help_list.unreadable and fallback is not None and fallback.help.services:
        problems.append(Problem(help_list.path, None, "the last good version of help.yaml is still served",
                                Severity.WARNING))
        help_list = fallback.help
    return Library(folder=folder, topics=freeze(topics or {}), articles=freeze(articles), problems=tuple(problems),
                   help=help_list)


def _keep_last_good(result: FolderResult, previous: Article | None, problems: list[Problem]) -> Article | None:
    """The folder's article, with anything that broke since ``previous`` taken from ``previous``."""
    article = result.article
    if previous is None:
        return article
    if article is None:
        problems.append(Problem(previous.source.path.parent, None,
                                "the last good version of this article is still served", Severity.WARNING))
        return previous
    kept = {tag: previous.versions[tag] for tag in result.failed_languages
            if tag in previous.versions and tag not in article.versions}
    if not kept:
        return article
    for version in kept.values():
        problems.append(Problem(version.path, None, "the last good version of this translation is still served",
                                Severity.WARNING))
    return replace(article, versions=freeze({**article.versions, **kept}))


def _is_folder(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is a folder, or a link to one; not when it cannot be followed (a loop of links, a
    link to nowhere), which costs only itself, as with ``Path.is_dir``."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _nothing() -> None:
    pass


def _load_folders(folders: list[Path], topics: frozenset[str] | None, cache: FolderCache | None,
                  meanwhile: Callable[[], None]) -> Iterator[FolderResult]:
    """Every folder's result in order, from ``cache`` where its files are unchanged, else parsed (and handed
    to ``cache`` as it comes)."""
    # The folders share their parent: its path, every link followed, is found once, not once a folder.
    real_parent = folders[0].parent.resolve() if cache and folders else None
    keys = ([cache.fingerprint(folder, topics, real_parent) for folder in folders] if cache
            else [None] * len(folders))
    found: list[FolderResult | None] = [cache.get(key) if cache else None for key in keys]
    missing = [folder for folder, result in zip(folders, found, strict=True) if result is None]
    parsed = _parse_folders(missing, topics, meanwhile)
    for key, result in zip(keys, found, strict=True):
        if result is None:
            result = next(parsed)
            if cache:
                result = cache.put(key, result)
        yield result


def _parse_folders(folders: list[Path], topics: frozenset[str] | None,
                   meanwhile: Callable[[], None]) -> Iterator[FolderResult]:
    """Parse and render article folders, in order, as they are asked for; across all cores when there are many.

    Rendering Markdown is most of the work, and each article is independent,
    so a big library is shared out among worker processes, and this process
    does ``meanwhile`` while they work (with no folder to parse, at once).
    """
    load = partial(_load_folder, topics=topics)
    # Forking a process that runs other threads can deadlock the child, so a
    # busy process (a test run, a live server) parses alone.
    if len(folders) < PARALLEL_FROM or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        meanwhile()
        return map(load, folders)
    return _parse_in_workers(folders, load, meanwhile)


def _parse_in_workers(folders: list[Path], load: Callable[[Path], FolderResult],
                      meanwhile: Callable[[], None]) -> Iterator[FolderResult]:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=context) as pool:
        # map submits every folder at once; the workers are forked before its manager thread starts.
        results = pool.map(load, folders, chunksize=_chunk_size(len(folders)))
        meanwhile()
        yield from results


def _chunk_size(folders: int) -> int:
    """Folders a worker is given at a time: enough to share the work out evenly, and at most ``MAX_CHUNK``."""
    return max(1, min(MAX_CHUNK, folders // (8 * (os.cpu_count() or 1))))


def _load_topics(path: Path, problems: list[Problem]) -> dict[str, Topic] | None:
    """The topics, in order; None when the file is missing or cannot be read at all."""
    if not path.is_file():
        problems.append(Problem(path, None, "topics.yaml is missing; articles are listed without topics"))
        return None
    try:
        node = yaml.compose(read_text(path), Loader=_Loader)
        refuse_aliases(node)
    except yaml.YAMLError as error:
        problems.append(Problem(path, _yaml_error_line(error, 0), f"not valid YAML: {_yaml_reason(error)}"))
        return None
    except UnreadableFile as error:
        problems.append(Problem(path, error.line, error.message))
        return None
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(path, 1, "expected topic slugs, each with a name per language"))
        return None
    topics: dict[str, Topic] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        slug = str(key_node.value)
        if not SLUG.match(slug):
            problems.append(Problem(path, line, f"topic {slug!r}: use lower-case letters, digits and hyphens"))
            continue
        names: dict[str, str] = {}
        if isinstance(value_node, yaml.MappingNode):
            for lang_node, name_node in value_node.value:
                tag, name = str(lang_node.value), name_node.value
                if tag not in BY_TAG:
                    problems.append(Problem(path, lang_node.start_mark.line + 1,
                                            f"topic {slug!r}: unknown language {tag!r}"))
                elif not isinstance(name, str) or not name.strip():
                    problems.append(Problem(path, lang_node.start_mark.line + 1,
                                            f"topic {slug!r}: the {tag} name is empty"))
                else:
                    names[tag] = name.strip()
        if not names:
            problems.append(Problem(path, line, f"topic {slug!r} is named in no language"))
            continue
        topics[slug] = Topic(slug=slug, names=freeze(names))
    return topics


def _load_folder(folder: Path, topics: frozenset[str] | None) -> FolderResult:
    """Read one article folder; the result says what was served and which files failed."""
    problems: list[Problem] = []
    failed: set[str] = set()
    article = _load_article(folder, topics, problems, failed)
    return FolderResult(folder.name, article, tuple(problems), frozenset(failed))


def _load_article(folder: Path, topics: frozenset[str] | None, problems: list[Problem],
                  failed: set[str]) -> Article | None:
    slug = folder.name
    if not SLUG.match(slug):
        problems.append(Problem(folder, None, "article folder names use lower-case letters, digits and hyphens"))
        return None
    parsed: dict[str, tuple[Path, dict[str, Any], dict[str, int], str, int]] = {}
    for path in sorted(folder.glob("*.md")):
        if not inside(folder, path):
            problems.append(Problem(path, None, "a link to a file outside the article's folder: not read"))
            failed.add(path.stem)
            continue
        if path.stem not in BY_TAG:
            problems.append(Problem(path, None, f"unknown language {path.stem!r}: name files by a language "
                                                f"tag ({', '.join(BY_TAG)})"))
            continue
        try:
            parsed[path.stem] = (path, *_read_front_matter(path))
        except _FileProblems as skipped:
            problems.extend(skipped.problems)
            failed.add(path.stem)
    sources = [tag for tag, (_, meta, *_rest) in parsed.items() if "revision" in meta]
    if len(sources) != 1:
        detail = (f"{' and '.join(sources)} both carry 'revision'" if sources
                  else "no readable file carries 'revision'")
        problems.append(Problem(folder, None, f"article skipped: it needs exactly one source file; {detail}"))
        return None
    source_tag = sources[0]
    try:
        source_meta = _check_source(parsed[source_tag], topics, problems)
        versions = {source_tag: _version(parsed[source_tag], source_meta, source_meta, source_tag, None, problems)}
    except _FileProblems as skipped:
        problems.extend(skipped.problems)
        problems.append(Problem(folder, None, "article skipped: its source file has errors"))
        return None
    for tag, entry in parsed.items():
        if tag == source_tag:
            continue
        try:
            meta = _check_translation(entry, source_meta, problems)
            versions[tag] = _version(entry, meta, source_meta, source_tag, meta["translated_from"], problems)
        except _FileProblems as skipped:
            problems.extend(skipped.problems)
            failed.add(tag)
    versions = add_narrations(folder, versions, problems)
    return Article(
        slug=slug, source_language=source_tag, revision=source_meta["revision"],
        topics=tuple(source_meta["topics"]), licence=source_meta["licence"],
        source_url=source_meta.get("source_url"), versions=freeze(versions),
        help_kinds=tuple(source_meta["help"]),
    )


def read_body(path: Path) -> tuple[str, int]:
    """The Markdown body of an article file the library loaded, and the file line it starts on."""
    _, _, body, first_line = _read_front_matter(path)
    return body, first_line


def _read_front_matter(path: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Split a file into front matter (values and key lines), body and the body's first line."""
    try:
        text = read_text(path)
    except UnreadableFile as error:
        raise _FileProblems([Problem(path, error.line, error.message)]) from None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise _FileProblems([Problem(path, 1, "must start with '---' and YAML front matter")])
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise _FileProblems([Problem(path, 1, "front matter has no closing '---'")])
    front = "".join(lines[1:end])
    loader = _Loader(front)
    try:
        # One parse gives both the values and, from the node tree, each key's line.
        node = loader.get_single_node()
        refuse_aliases(node, first_line=2)
        meta = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise _FileProblems([Problem(path, _yaml_error_line(error, 1),
                                     f"front matter is not valid YAML: {_yaml_reason(error)}")]) from None
    except UnreadableFile as error:
        raise _FileProblems([Problem(path, error.line, error.message)]) from None
    finally:
        loader.dispose()
    if not isinstance(meta, dict):
        raise _FileProblems([Problem(path, 2, "front matter must be 'key: value' lines")])
    key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return meta, key_lines, "".join(lines[end + 1:]), end + 2


def _check_common(path: Path, meta: dict, key_lines: dict, required: set, optional: set,
                  problems: list[Problem]) -> list[Problem]:
    errors: list[Problem] = []
    for key in sorted(required - meta.keys()):
        errors.append(Problem(path, 1, f"missing required field {key!r}"))
    for key in sorted(meta.keys() - required - optional):
        problems.append(Problem(path, key_lines.get(str(key)), f"unknown field {key!r} (ignored)", Severity.WARNING))
    for key, limit in (("title", MAX_TITLE), ("summary", MAX_SUMMARY)):
        value = meta.get(key)
        if key in meta and (not isinstance(value, str) or not value.strip()):
            errors.append(Problem(path, key_lines.get(key), f"{key!r} must be non-empty text"))
        elif isinstance(value, str) and len(value) > limit:
            errors.append(Problem(path, key_lines.get(key), f"{key!r} is longer than {limit} characters"))
    return errors


def _positive_int(meta: dict, key: str) -> bool:
    value = meta.get(key)
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_source(entry, topics: frozenset[str] | None, problems: list[Problem]) -> dict:
    path, meta, key_lines, _body, _first = entry
    errors = _check_common(path, meta, key_lines, SOURCE_FIELDS, SOURCE_OPTIONAL, problems)
    if "translated_from" in meta:
        errors.append(Problem(path, key_lines["translated_from"],
                              "a source file carries 'revision', not 'translated_from'"))
    if "revision" in meta and not _positive_int(meta, "revision"):
        errors.append(Problem(path, key_lines["revision"], "'revision' must be a whole number from 1"))
    for key in ("attribution", "licence"):
        if key in meta and (not isinstance(meta[key], str) or not meta[key].strip()):
            errors.append(Problem(path, key_lines[key], f"{key!r} must be non-empty text"))
    chosen = meta.get("topics")
    if "topics" in meta:
        if isinstance(chosen, str):
            chosen = [chosen]
        if not isinstance(chosen, list) or not chosen or not all(isinstance(t, str) for t in chosen):
            errors.append(Problem(path, key_lines["topics"], "'topics' must be a list of topic slugs"))
        else:
            for topic in chosen:
                if topics is not None and topic not in topics:
                    errors.append(Problem(path, key_lines["topics"],
                                          f"unknown topic {topic!r} (add it to topics.yaml)"))
    kinds = meta.get("help", [])
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or any(kind not in KINDS for kind in kinds):
        errors.append(Problem(path, key_lines.get("help"),
                              f"'help' must list kinds of local help (known: {', '.join(KINDS)})"))
    url = meta.get("source_url")
    if url is not None and (not isinstance(url, str) or not WEB_ADDRESS.match(url)):
        errors.append(Problem(path, key_lines.get("source_url"), "'source_url' must be an http(s) address"))
    if errors:
        raise _FileProblems(errors)
    return {**meta, "topics": list(dict.fromkeys(chosen)), "help": list(dict.fromkeys(kinds))}


def _check_translation(entry, source_meta: dict, problems: list[Problem]) -> dict:
    path, meta, key_lines, _body, _first = entry
    errors = _check_common(path, meta, key_lines, TRANSLATION_FIELDS, TRANSLATION_OPTIONAL, problems)
    if "translated_from" in meta:
        if not _positive_int(meta, "translated_from"):
            errors.append(Problem(path, key_lines["translated_from"],
                                  "'translated_from' must be a whole number from 1"))
        elif meta["translated_from"] > source_meta["revision"]:
            errors.append(Problem(path, key_lines["translated_from"],
                                  f"translated from revision {meta['translated_from']}, but the source "
                                  f"is only at revision {source_meta['revision']}"))
    if "reviewed" in meta and not isinstance(meta["reviewed"], bool):
        errors.append(Problem(path, key_lines["reviewed"], "'reviewed' must be true or false"))
    if errors:
        raise _FileProblems(errors)
    return meta


def _version(entry, meta: dict, source_meta: dict, source_language: str, translated_from: int | None,
             problems: list[Problem]) -> ArticleVersion:
    path, _meta, key_lines, body, first_body_line = entry
    rendered = render_markdown(body)
    if rendered.problems:
        raise _FileProblems([Problem(path, first_body_line + p.line - 1, p.message) for p in rendered.problems])
    language = BY_TAG[path.stem]
    words = count_words(rendered.text)
    return ArticleVersion(
        language=language.tag,
        title=meta["title"].strip(),
        summary=meta["summary"].strip(),
        html=rendered.html,
        word_count=words,
        reading_minutes=max(1, math.ceil(words / language.words_per_minute)),
        attribution=str(meta.get("attribution") or source_meta["attribution"]).strip(),
        attribution_language=language.tag if meta.get("attribution") else source_language,
        translated_from=translated_from,
        reviewed=True if translated_from is None else meta["reviewed"],
        publisher_pdf=_publisher_pdf(path, meta, key_lines, problems),
        web_links=rendered.web_links,
        path=path,
    )


def _publisher_pdf(path: Path, meta: dict, key_lines: dict, problems: list[Problem]) -> Path | None:
    """The publisher's PDF named in the front matter, if it is really there and a PDF.

    A missing or broken one is reported and the generated handout is used
    instead, so it never stops the article being served.
    """
    name = meta.get("publisher_pdf")
    if name is None:
        return None
    line = key_lines.get("publisher_pdf")
    if not isinstance(name, str) or Path(name).name != name or not name.lower().endswith(".pdf"):
        problems.append(Problem(path, line, "'publisher_pdf' must be the name of a .pdf file "
                                            "in the article's folder"))
        return None
    pdf = path.parent / name
    if pdf.is_symlink() and not inside(path.parents[2], pdf):
        problems.append(Problem(path, line, f"publisher PDF {name!r} is a link to a file outside the content "
                                            "folder; the generated handout is used instead"))
        return None
    try:
        with pdf.open("rb") as handle:
            if handle.read(5) == b"%PDF-":
                return pdf
    except OSError:
        problems.append(Problem(path, line, f"publisher PDF {name!r} is missing; "
                                            "the generated handout is used instead"))
        return None
    problems.append(Problem(path, line, f"publisher PDF {name!r} is not a PDF file; "
                                        "the generated handout is used instead"))
    return None


def _yaml_error_line(error: Exception, offset: int) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 + offset if mark is not None else None


def _yaml_reason(error: Exception) -> str:
    return str(getattr(error, "problem", None) or error).strip()
