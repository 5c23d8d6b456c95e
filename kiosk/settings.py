"""Every setting of the kiosk, declared once, and the ones staff change on the staff screen.

Each setting has a name, a default, help text, a command-line flag and a
``KIOSK_*`` environment variable. ``reading-kiosk --help``, the Flask config and
the README's settings table all come from ``SETTINGS``; a test keeps the README
in step with it. Precedence: saved by staff, then command line, then
environment, then default. What staff save is kept in the instance folder,
written atomically, and announced with the ``settings_changed`` signal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import read_json, write_json_atomically
from .instance import set_aside
from .languages import LANGUAGES, Language, find_language, parse_language_list
from .shipped import STARTER_LIBRARY
from .signals import signals_of

if TYPE_CHECKING:
    from flask import Flask

SAVED_SETTINGS_FILE = "settings.json"


class SettingsError(ValueError):
    """A setting has a value the kiosk cannot run with; the message says which."""


class SettingsNotKept(OSError):
    """Staff settings are applied, but the instance folder cannot keep them past a restart."""


def _port(value: Any) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError("must be between 1 and 65535")
    return port


def _seconds(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        seconds = int(value)
        if not low <= seconds <= high:
            raise ValueError(f"must be between {low} and {high} seconds")
        return seconds
    return parse


def _poll_seconds(value: Any) -> float:
    seconds = float(value)
    if not (seconds == 0 or 0.1 <= seconds <= 3600):
        raise ValueError("must be 0 (never) or between 0.1 and 3600 seconds")
    return seconds


def _language(value: Any) -> Language:
    if isinstance(value, Language):
        return value
    language = find_language(str(value).strip())
    if language is None:
        raise ValueError(f"unknown language (known: {', '.join(known.tag for known in LANGUAGES)})")
    return language


def _languages(value: Any) -> tuple[Language, ...]:
    if isinstance(value, tuple):
        return value
    return parse_language_list(str(value))


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"", "0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _epsilon(value: Any) -> float:
    epsilon = float(value)
    if not 0.05 <= epsilon <= 10:
        raise ValueError("must be between 0.05 and 10")
    return epsilon


def _paper(value: Any) -> str:
    for size in ("A4", "letter"):
        if str(value).strip().lower() == size.lower():
            return size
    raise ValueError("must be A4 or letter")


def _path(value: Any) -> Path:
    return Path(value).expanduser()


def _optional_path(value: Any) -> Path | None:
    if value is None or not str(value).strip():
        return None
    return _path(value)


@dataclass(frozen=True)
class Setting:
    """One declared setting."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]
    metavar: str | None = None
    is_flag: bool = False
    staff_can_change: bool = False
    """Shown on the staff screen; what staff save there wins from then on."""

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--idle-seconds``."""
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        """The environment variable, e.g. ``KIOSK_IDLE_SECONDS``; also the Flask config key."""
        return "KIOSK_" + self.name.upper()

    def default_text(self) -> str:
        """The default as a person would type it (for --help and the README)."""
        if self.is_flag:
            return "off"
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        if self.name == "content":
            return "the shipped `content/` folder"
        if self.name == "instance":
            return "`instance/` in the working folder"
        if self.default is None:
            return "none (not written)"
        return str(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1",
            "Address to listen on. Keep the loopback address unless the browser runs on another machine.",
            str, "ADDRESS"),
    Setting("port", 8080, "TCP port to listen on.", _port, "PORT"),
    Setting("content", STARTER_LIBRARY,
            "Folder of articles to serve (topics.yaml plus articles/<slug>/<lang>.md).",
            _path, "DIR"),
    Setting("content_poll_seconds", 3,
            "Seconds between looks at the content folder for a new version, taken without a restart "
            "(0: read it only at start); longer for a big library, so that looks take at most a twentieth of a core.",
            _poll_seconds, "SECONDS"),
    Setting("content_settle_seconds", 5,
            "For a content folder without a manifest (edited in place): seconds its files must stay "
            "unchanged before they are taken.",
            _seconds(1, 600), "SECONDS"),
    Setting("default_language", "en",
            "Language of the welcome page, and the one every reset returns to.",
            _language, "TAG", staff_can_change=True),
    Setting("languages", ",".join(language.tag for language in LANGUAGES),
            "Comma-separated language tags the kiosk offers, in switcher order.",
            _languages, "TAGS", staff_can_change=True),
    Setting("idle_seconds", 180,
            "Seconds without a touch, click, key or scroll before the patron session ends.",
            _seconds(30, 3600), "SECONDS", staff_can_change=True),
    Setting("warning_seconds", 30,
            "Seconds before an idle reset that the \"Still reading?\" warning is shown.",
            _seconds(5, 600), "SECONDS"),
    Setting("read_aloud", True,
            "Offer Listen on articles: read aloud offline by eSpeak NG, in the languages it has a voice for "
            "(on or off).",
            _flag, "ON|OFF", staff_can_change=True),
    Setting("usage_figures", False,
            "Count daily usage figures (sessions, articles by language, listens, handouts, help, searches, "
            "language changes), each session's part bounded, released with differential privacy the next day "
            "(on or off).",
            _flag, "ON|OFF", staff_can_change=True),
    Setting("usage_epsilon", 1.0,
            "The daily privacy budget (epsilon) of the usage figures: smaller hides each patron better and adds "
            "more noise.",
            _epsilon, "EPSILON"),
    Setting("paper_size", "A4",
            "Paper for generated handout PDFs: A4 or letter (printed pages fit either).",
            _paper, "SIZE"),
    Setting("instance", Path("instance"),
            "Folder for the staff PIN hash, the lock-out count, settings saved from the staff screen, and the "
            "content's start-up cache and search index (created owner-only; nothing about patrons).",
            _path, "DIR"),
    Setting("metrics_folder", None,
            "Folder of the Prometheus node exporter's textfile collector (Debian's is "
            "/var/lib/prometheus/node-exporter): the kiosk writes its health there every minute as "
            "reading_kiosk.prom (content version, sync, printer, disk, readiness; nothing about patrons).",
            _optional_path, "DIR"),
    Setting("syncthing_config", None,
            "Syncthing's config.xml, of the Syncthing that brings this kiosk its content (for Debian's, run as "
            "the kiosk's user: ~/.config/syncthing/config.xml). The kiosk reads its REST address and key there "
            "and asks it, on this machine, whether the content folder's last sync succeeded and when (staff "
            "screen, metrics). Not set: not asked.",
            _optional_path, "FILE"),
    Setting("no_browser", False,
            "Serve only; do not start the full-screen browser.",
            _flag, is_flag=True),
    Setting("allow_remote", False,
            "Allow listening on an address other than loopback (needs a staff PIN).",
            _flag, is_flag=True),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
STAFF_SETTINGS: tuple[Setting, ...] = tuple(setting for setting in SETTINGS if setting.staff_can_change)


NOT_RENDERED_WITH = frozenset({
    "KIOSK_INSTANCE", "KIOSK_HOST", "KIOSK_PORT", "KIOSK_ALLOW_REMOTE", "KIOSK_NO_BROWSER",
    "KIOSK_CONTENT_POLL_SECONDS", "KIOSK_CONTENT_SETTLE_SECONDS", "KIOSK_METRICS_FOLDER", "KIOSK_SYNCTHING_CONFIG"})
"""Settings no page shows or is rendered with: where the kiosk keeps its files and listens, whether it starts
the browser, how often it looks at its content folder, where its fleet figures go. A copy of an instance folder,
or a kiosk started with any of these changed, keeps what it rendered ahead of time (every page of a big library
took minutes to make again for a new port)."""


def rendered_settings(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every setting a page may be rendered with, by name, as text (for a digest of what a page depends on)."""
    return sorted((name, repr(value)) for name, value in config.items()
                  if name.startswith("KIOSK_") and name not in NOT_RENDERED_WITH)


def load_settings(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Resolve every setting into Flask config entries (``KIOSK_*`` keys).

    ``overrides`` holds values from the command line or a test, keyed by
    setting name or by config key; ``None`` values are ignored. Raises
    ``SettingsError`` with a message naming the setting and its source.
    """
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        if overrides.get(setting.name) is not None:
            raw, source = overrides[setting.name], setting.flag
        elif overrides.get(setting.env) is not None:
            raw, source = overrides[setting.env], setting.env
        elif setting.env in environ:
            raw, source = environ[setting.env], setting.env
        else:
            raw, source = setting.default, "default"
        try:
            config[setting.env] = setting.parse(raw)
        except ValueError as error:
            raise SettingsError(f"{source}: {raw!r} is not valid: {error}") from None
    check_together(config)
    return config


def check_together(config: dict[str, Any]) -> None:
    """Raise ``SettingsError`` if settings that depend on each other disagree."""
    if config["KIOSK_DEFAULT_LANGUAGE"] not in config["KIOSK_LANGUAGES"]:
        raise SettingsError(
            f"the default language {config['KIOSK_DEFAULT_LANGUAGE'].tag!r} "
            "is not among the offered languages")
    if config["KIOSK_WARNING_SECONDS"] >= config["KIOSK_IDLE_SECONDS"]:
        raise SettingsError("the idle warning must be shorter than the idle time")


def markdown_table() -> str:
    """The README's settings table, generated from ``SETTINGS`` (a test keeps them equal)."""
    rows = ["| flag | environment variable | default | what it does |", "| --- | --- | --- | --- |"]
    rows += [f"| `{s.flag}` | `{s.env}` | {s.default_text()} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)


def _parse_staff_values(values: Mapping[str, Any]) -> dict[str, Any]:
    parsed = {}
    for setting in STAFF_SETTINGS:
        if setting.name in values:
            try:
                parsed[setting.env] = setting.parse(values[setting.name])
            except (ValueError, TypeError) as error:
                raise SettingsError(f"{setting.name}: {error}") from None
    return parsed


def apply_saved_settings(app: Flask) -> None:
    """Apply what staff saved earlier; a damaged file is set aside (one log line) and the kiosk starts without it."""
    path = Path(app.instance_path) / SAVED_SETTINGS_FILE
    saved = read_json(path, None)
    if saved is None:
        if path.exists():
            set_aside(path, "settings saved on the staff screen; the command line's are used")
        return
    try:
        if not isinstance(saved, dict):
            raise SettingsError("not a set of settings")
        parsed = _parse_staff_values(saved)
        check_together({**app.config, **parsed})
    except SettingsError as error:
        set_aside(path, f"settings saved on the staff screen ({error}); the command line's are used")
        return
    app.config.update(parsed)


def save_staff_settings(app: Flask, values: Mapping[str, Any]) -> None:
    """Check, save and apply new values for the settings staff may change.

    Raises ``SettingsError`` and changes nothing if any value is wrong; raises
    ``SettingsNotKept`` after applying them if they cannot be written down.
    """
    parsed = _parse_staff_values(values)
    check_together({**app.config, **parsed})
    path = Path(app.instance_path) / SAVED_SETTINGS_FILE
    current = read_json(path, {})
    current = current if isinstance(current, dict) else {}
    current.update({setting.name: _as_text(parsed[setting.env]) for setting in STAFF_SETTINGS
                    if setting.env in parsed})
    try:
        write_json_atomically(path, current)
    except OSError as error:
        not_kept = SettingsNotKept(f"{path} cannot be written ({error.strerror})")
    else:
        not_kept = None
    app.config.update(parsed)
    signals_of(app).settings_changed.send(app)
    if not_kept:
        raise not_kept


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(language.tag for language in value)
    return getattr(value, "tag", value)
