"""Settings staff change on the staff screen, saved in the instance folder.

Saved values win over the command line and environment for these settings,
so a change made at the kiosk survives a restart. The file is written
atomically: a power cut leaves the old settings or the new, never a mix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from .atomic import read_json, write_json_atomically
from .page_cache import page_cache
from .settings import BY_NAME, SettingsError, check_together

SAVED_SETTINGS = ("default_language", "languages", "idle_seconds")
SETTINGS_FILE = "settings.json"


def _parse(values: Mapping[str, Any]) -> dict[str, Any]:
    parsed = {}
    for name in SAVED_SETTINGS:
        if name in values:
            try:
                parsed[BY_NAME[name].env] = BY_NAME[name].parse(values[name])
            except ValueError as error:
                raise SettingsError(f"{name}: {error}") from None
    return parsed


def apply_saved_settings(app: Flask) -> None:
    """Apply what staff saved earlier; a damaged file is reported and ignored."""
    saved = read_json(Path(app.instance_path) / SETTINGS_FILE, {})
    if not isinstance(saved, dict) or not saved:
        return
    try:
        parsed = _parse(saved)
        check_together({**app.config, **parsed})
    except SettingsError as error:
        app.logger.warning("saved staff settings ignored: %s", error)
        return
    app.config.update(parsed)


def save_settings(app: Flask, values: Mapping[str, str]) -> None:
    """Check, save and apply new values for ``SAVED_SETTINGS``; raise ``SettingsError`` and change nothing if any is wrong."""
    parsed = _parse(values)
    check_together({**app.config, **parsed})
    current = read_json(Path(app.instance_path) / SETTINGS_FILE, {})
    current = current if isinstance(current, dict) else {}
    current.update({name: _as_text(parsed[BY_NAME[name].env]) for name in SAVED_SETTINGS
                    if BY_NAME[name].env in parsed})
    write_json_atomically(Path(app.instance_path) / SETTINGS_FILE, current)
    app.config.update(parsed)
    page_cache(app).clear()  # pages carry the idle time and language list


def _as_text(value: Any) -> Any:
    if isinstance(value, tuple):
        return ",".join(language.tag for language in value)
    return getattr(value, "tag", value)
