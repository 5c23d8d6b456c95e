"""Local help services: the list in ``help.yaml``, which staff keep and which travels with the content.

``help.yaml`` sits beside ``topics.yaml``. Each service has an ``id``, the
kinds of help it gives (from ``KINDS``, which the kiosk names in every
language), a name and what it helps with in one or more languages, and any of a
phone number, opening hours, an address, the languages spoken there and a
website. The list is read and checked once, like the articles, into immutable
objects; staff changes go through the same checks and are written back
atomically (``write_help``).

The list's ``source_language`` is the one every service is written in; other
languages fall back to it, with the usual notice. ``reviewed`` lists the
languages whose text a fluent person has checked. A service marked
``example: true`` is made up, and says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from ..atomic import write_atomically
from ..languages import BY_TAG
from .files import UnreadableFile, read_text, refuse_aliases
from .model import KINDS, SLUG, WEB_ADDRESS, HelpList, HelpService, Problem, freeze

HELP_FILE = "help.yaml"
TEXT_FIELDS = ("name", "description", "hours")
"""Written per language."""
LIMITS = {"name": 100, "description": 300, "hours": 120, "address": 160, "phone": 30, "website": 200}
MAX_SERVICES = 60
PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]*$")
# Shown as a link on the help page and printed on paper: no quote or angle bracket either.
_QUOTE_OR_ANGLE = re.compile(r"[<>\"']")
# What no clinic wants printed or shown: markup, and characters that would be unseen.
_MARKUP = re.compile(r"[<>]|&#|\{\{|\{%")


class ServiceError(ValueError):
    """A service that cannot be kept: ``field`` names the field, ``code`` the kind of problem
    (for the staff form, which says it in the staff's language), the message says it in English."""

    def __init__(self, field_name: str, message: str, code: str = "invalid"):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.code = code


def _plain(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ServiceError(name, "must be text", "text")
    text = unicodedata.normalize("NFC", str(value)).strip()
    if _MARKUP.search(text):
        raise ServiceError(name, "must be plain text, without HTML, scripts or templates", "markup")
    if any(unicodedata.category(character) in ("Cc", "Cf", "Co") and character not in "\u200c\u200d"
           for character in text):
        raise ServiceError(name, "holds characters that cannot be shown", "hidden")
    if len(text) > limit:
        raise ServiceError(name, f"is longer than {limit} characters", "length")
    return text


def _texts(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        raise ServiceError(name, "must give the text per language, e.g. en: ...")
    if not isinstance(value, Mapping):
        raise ServiceError(name, "must map language tags to text")
    texts = {}
    for tag, text in value.items():
        if str(tag) not in BY_TAG:
            raise ServiceError(name, f"unknown language {tag!r}")
        cleaned = _plain(text, f"{name} ({tag})", LIMITS[name])
        if cleaned:
            texts[str(tag)] = cleaned
    return texts


def spoken_language_name(tag: str, in_locale: str) -> str | None:
    """The name of language ``tag`` in locale ``in_locale``, or None if Babel does not know it."""
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(in_locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def parse_service(data: Any, source_language: str) -> HelpService:
    """One service from its ``help.yaml`` entry (or a staff form's values); ``ServiceError`` if it is wrong."""
    if not isinstance(data, Mapping):
        raise ServiceError("service", "must be a mapping of its fields")
    known = {"id", "example", "kinds", "name", "description", "hours", "phone", "address", "website", "languages"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise ServiceError(unknown[0], "is not a field of a service")
    service_id = str(data.get("id") or "")
    if not SLUG.match(service_id) or len(service_id) > 60:
        raise ServiceError("id", "must be lower-case letters, digits and hyphens")
    kinds = data.get("kinds") or []
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not kinds:
        raise ServiceError("kinds", "choose at least one kind of help", "kinds")
    for kind in kinds:
        if kind not in KINDS:
            raise ServiceError("kinds", f"unknown kind {kind!r} (known: {', '.join(KINDS)})", "kinds")
    names = _texts(data.get("name"), "name")
    if source_language not in names:
        raise ServiceError("name", f"needs a name in the list's source language ({source_language})", "name")
    phone = _plain(data.get("phone"), "phone", LIMITS["phone"])
    if phone and (not PHONE.match(phone) or not 3 <= len(re.sub(r"[^0-9]", "", phone)) <= 15):
        raise ServiceError("phone", "is not a phone number (digits, spaces, +, -, brackets; 3 to 15 digits)", "phone")
    website = _plain(data.get("website"), "website", LIMITS["website"])
    if website and (not WEB_ADDRESS.match(website) or _QUOTE_OR_ANGLE.search(website)):
        raise ServiceError("website", "must be a web address starting with http:// or https://", "website")
    spoken = data.get("languages") or []
    if isinstance(spoken, str):
        spoken = [part.strip() for part in spoken.split(",") if part.strip()]
    if not isinstance(spoken, list):
        raise ServiceError("languages", "must be a list of language tags")
    for tag in spoken:
        if not isinstance(tag, str) or spoken_language_name(tag, "en") is None:
            raise ServiceError("languages", f"unknown language tag {tag!r}", "languages")
    example = data.get("example", False)
    if not isinstance(example, bool):
        raise ServiceError("example", "must be true or false")
    return HelpService(
        id=service_id, kinds=tuple(dict.fromkeys(kinds)), names=freeze(names),
        descriptions=freeze(_texts(data.get("description"), "description")),
        hours=freeze(_texts(data.get("hours"), "hours")), phone=phone,
        address=_plain(data.get("address"), "address", LIMITS["address"]), website=website,
        languages=tuple(dict.fromkeys(spoken)), example=example)


class _LineLoader(yaml.SafeLoader):
    """Remembers the line each mapping starts on, so a problem names it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_lines(item) for key, item in value.items() if key != "__line__"}
    if isinstance(value, list):
        return [_without_lines(item) for item in value]
    return value


def load_help(folder: Path, problems: list[Problem]) -> HelpList:
    """The folder's ``help.yaml`` (an empty list if there is none); each problem is added with its line.

    A service with a problem is left out; the others are kept.
    """
    path = Path(folder) / HELP_FILE
    if not path.is_file():
        return HelpList(path=None)
    try:
        loader = _LineLoader(read_text(path))
        try:
            node = loader.get_single_node()
            refuse_aliases(node)
            data = (loader.construct_document(node) if node is not None else None) or {}
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(Problem(path, mark.line + 1 if mark else None, f"help.yaml cannot be read: {error}"))
        return HelpList(path=path, unreadable=True)
    except UnreadableFile as error:
        problems.append(Problem(path, error.line, f"help.yaml cannot be read: {error.message}"))
        return HelpList(path=path, unreadable=True)
    if not isinstance(data, dict) or not isinstance(data.get("services", []), list):
        problems.append(Problem(path, 1, "help.yaml must hold source_language, reviewed and a list of services"))
        return HelpList(path=path, unreadable=True)
    source = str(data.get("source_language", "en"))
    if source not in BY_TAG:
        problems.append(Problem(path, data.get("__line__"), f"unknown source_language {source!r}"))
        return HelpList(path=path)
    reviewed = data.get("reviewed", [source])
    if not isinstance(reviewed, list) or any(str(tag) not in BY_TAG for tag in reviewed):
        problems.append(Problem(path, data.get("__line__"), "'reviewed' must list language tags"))
        reviewed = [source]
    services: list[HelpService] = []
    for entry in data.get("services", [])[:MAX_SERVICES]:
        line = entry.get("__line__") if isinstance(entry, dict) else None
        try:
            service = parse_service(_without_lines(entry), source)
        except ServiceError as error:
            problems.append(Problem(path, line, f"help service: {error}"))
            continue
        if any(other.id == service.id for other in services):
            problems.append(Problem(path, line, f"help service: id {service.id!r} is used twice"))
            continue
        services.append(service)
    if len(data.get("services", [])) > MAX_SERVICES:
        problems.append(Problem(path, None, f"only the first {MAX_SERVICES} help services are shown"))
    return HelpList(tuple(services), source, tuple(dict.fromkeys([source, *map(str, reviewed)])), path)


def help_yaml(help_list: HelpList) -> str:
    """The list as ``help.yaml`` holds it, with a comment for whoever opens the file."""
    data = {"source_language": help_list.source_language, "reviewed": list(help_list.reviewed),
            "services": [service.to_data() for service in help_list.services]}
    return ("# Local help services, in the order the kiosk lists them. Edit on the staff screen, or here\n"
            "# (then run `flask --app kiosk content check`). Kinds: " + ", ".join(KINDS) + ".\n"
            + yaml.dump(data, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100))


class _PlainDumper(yaml.SafeDumper):
    """Writes a value used twice out twice: content files may hold no YAML alias (``files.refuse_aliases``)."""

    def ignore_aliases(self, data) -> bool:
        """Never an alias."""
        return True


def write_help(folder: Path, help_list: HelpList) -> None:
    """Write ``help_list`` to the folder's ``help.yaml``, atomically (a power cut leaves the old file or the new)."""
    write_atomically(Path(folder) / HELP_FILE, help_yaml(help_list).encode("utf-8"), mode=0o644)
