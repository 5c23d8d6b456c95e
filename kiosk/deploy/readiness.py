"""``reading-kiosk --check``: is this machine ready to be a kiosk? One line per item, OK or what to do."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from ..catalogs import COMPILE_COMMAND, catalog_files, missing_catalogs
from ..content.manifest import ManifestError, synced_by_syncthing, verify
from ..content.model import Library
from ..content.serving import content_holder
from ..handouts.printing import cups_available, default_printer
from ..instance import folder_state
from ..languages import Language
from ..shipped import TRANSLATIONS
from ..staff.pin import pin_is_set
from .launcher import find_browser


@dataclass(frozen=True)
class Check:
    """One item of the readiness check."""

    name: str
    ok: bool
    detail: str
    essential: bool = True
    """A failed essential item makes the check exit non-zero; others are warnings."""

    def __str__(self) -> str:
        word = "OK" if self.ok else ("FAIL" if self.essential else "WARN")
        return f"{word:<5} {self.name}: {self.detail}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listening_problem(host: str, allow_remote: bool, pin_set: bool) -> str | None:
    """Why the kiosk must not listen on ``host``, or None if it may."""
    if is_loopback(host):
        return None
    if not allow_remote:
        return (f"refusing to listen on {host}: other machines could reach the kiosk. "
                "Use --allow-remote (and set a staff PIN) if that is really wanted.")
    if not pin_set:
        return (f"refusing to listen on {host}: --allow-remote needs a staff PIN first "
                "(flask --app kiosk staff set-pin).")
    return None


def _run(command: list[str], path: str) -> str | None:
    if shutil.which(command[0], path=path) is None:
        return None
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20,
                                env={**os.environ, "PATH": path})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else ""


def run_checks(app: Flask, path: str | None = None) -> list[Check]:
    """Every readiness item for ``app``'s settings; commands are looked up on ``path``."""
    path = os.environ.get("PATH", "") if path is None else path
    config = app.config
    checks = [_browser_check(path, config["KIOSK_NO_BROWSER"])]
    checks += [font_check(language, path) for language in config["KIOSK_LANGUAGES"]]
    checks.append(_printer_check(path))
    checks.append(speech_check(app))
    checks.append(catalogs_check(config["KIOSK_LANGUAGES"]))
    checks.append(_content_check(content_holder(app).current.library))
    checks.append(_updates_check(Path(config["KIOSK_CONTENT"]), config["KIOSK_CONTENT_POLL_SECONDS"]))
    instance = folder_state(Path(app.instance_path))
    checks.append(Check("instance folder", instance.problem is None, instance.problem or
                        f"{app.instance_path}: writable, {instance.free_bytes // (1024 * 1024)} MiB free",
                        essential=False))
    pin_set = pin_is_set(app.instance_path)
    checks.append(Check("staff PIN", pin_set, "set" if pin_set else
                        "not set: run flask --app kiosk staff set-pin", essential=False))
    problem = listening_problem(config["KIOSK_HOST"], config["KIOSK_ALLOW_REMOTE"], pin_set)
    checks.append(Check("listening address", problem is None,
                        f"{config['KIOSK_HOST']}:{config['KIOSK_PORT']}" if problem is None else problem))
    return checks


def _browser_check(path: str, no_browser: bool) -> Check:
    browser = find_browser(path)
    if browser:
        return Check("browser", True, browser)
    return Check("browser", False, "no Chromium or Chrome found: apt-get install chromium",
                 essential=not no_browser)


def font_check(language: Language, path: str | None = None) -> Check:
    """Whether fontconfig has a font for ``language`` (commands looked up on ``path``, default ``PATH``)."""
    fonts = _run(["fc-list", f":lang={language.fontconfig_lang}", "family"],
                 os.environ.get("PATH", "") if path is None else path)
    found = bool(fonts and fonts.strip())
    return Check(f"fonts for {language.english_name} ({language.tag})", found,
                 "found" if found else
                 ("fc-list not found: install fontconfig" if fonts is None else f"install {language.font_package}"))


def catalogs_check(languages: Iterable[Language], folder: Path = TRANSLATIONS) -> Check:
    """Whether every offered language (but English, the interface's own) has an interface catalog, compiled.

    Without one, the language's pages would be in English.
    """
    languages = list(languages)
    missing = missing_catalogs(folder, languages)
    if missing:
        return Check("interface catalogs", False, "no catalog for " + ", ".join(
            f"{language.tag} (flask --app kiosk translate init {language.locale})" for language in missing)
            + ": its pages would be in English")
    uncompiled = [language.tag for language in languages if language.locale != "en"
                  and not catalog_files(folder, language.locale)[1].is_file()]
    if uncompiled:
        return Check("interface catalogs", False, f"not compiled for {', '.join(uncompiled)}: run {COMPILE_COMMAND}")
    return Check("interface catalogs", True, "compiled for every offered language")


def speech_check(app: Flask) -> Check:
    """Whether the speech engine is there, and which offered languages it can read aloud."""
    voices = app.extensions["kiosk_voices"]
    offered = app.config["KIOSK_LANGUAGES"]
    if not voices:
        return Check("read aloud", False, "eSpeak NG is not installed (apt-get install espeak-ng): no Listen",
                     essential=False)
    heard = [language.tag for language in offered if language.tag in voices]
    silent = [language.tag for language in offered if language.tag not in voices]
    detail = f"can be heard: {', '.join(heard) or 'none'}" + (f"; no voice: {', '.join(silent)}" if silent else "")
    if not app.config["KIOSK_READ_ALOUD"]:
        detail += " (turned off in the settings)"
    return Check("read aloud", True, detail)


def _updates_check(folder: Path, poll_seconds: float) -> Check:
    """Where new content comes from: a synced, published folder, or edits made here; and whether it is looked at."""
    if not folder.is_dir():
        return Check("content updates", False, f"{folder} is not a folder", essential=False)
    source = "a Syncthing folder" if synced_by_syncthing(folder) else "a folder not synced by Syncthing"
    try:
        manifest, differences = verify(folder)
    except ManifestError as error:
        return Check("content updates", False, f"{source}; {error}", essential=False)
    if manifest is None:
        detail = f"{source}, without a manifest: edits made here are taken once they settle"
    elif differences:
        return Check("content updates", False, f"{source}; version {manifest.version} is not complete "
                                               f"({len(differences)} of its files not as published)", essential=False)
    else:
        detail = f"{source}, published version {manifest.version}"
    if poll_seconds <= 0:
        return Check("content updates", False, detail + "; never looked at again while running "
                                                        "(--content-poll-seconds 0)", essential=False)
    return Check("content updates", True, f"{detail}; looked at every {poll_seconds:g} s")


def _printer_check(path: str) -> Check:
    if not cups_available(path):
        return Check("printer", False, "CUPS is not installed (apt-get install cups): printing is off",
                     essential=False)
    printer = default_printer(path)
    if printer:
        return Check("printer", True, f"default printer {printer}")
    return Check("printer", False, "no default printer: set one with lpadmin -d PRINTER", essential=False)


def _content_check(library: Library) -> Check:
    """The library the kiosk loaded at its start (a folder that cannot be read stops the start itself)."""
    if not library.articles:
        return Check("content", False, f"no valid article in {library.folder}: run flask --app kiosk content check")
    errors, warnings = library.error_count, len(library.problems) - library.error_count
    if errors:
        return Check("content", False, f"{len(library.articles)} articles, {errors} errors: "
                                       "run flask --app kiosk content check", essential=False)
    detail = f"{warnings} warnings (flask --app kiosk content check)" if warnings else "no problems"
    return Check("content", True, f"{len(library.articles)} articles, {detail}")
