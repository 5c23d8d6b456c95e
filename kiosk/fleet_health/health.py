"""This kiosk's health, gathered in one place: what Prometheus is sent and what the staff screen shows.

Only the machine's own state is gathered: the content served and how it
arrived (Syncthing's own word on the last sync, when the kiosk is set up to
ask it), the printer (never a job), the instance folder's free space and the
readiness checks. Nothing here moves when a patron reads, listens or prints.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from ..content.manifest import ManifestError, read_manifest, synced_by_syncthing
from ..content.serving import content_holder
from ..handouts.printing import PrinterStatus, default_printer, printer_status
from ..usage.counting import KINDS
from ..usage.release import read_released
from .syncthing import SyncthingState, SyncthingWatch

if TYPE_CHECKING:
    from ..deploy.readiness import Check

FRESH_SECONDS = 60
"""How long one look at the machine is shown again (the staff screen and the minute's file share it):
the printer and the fonts are asked with a command each, which is not worth doing on every page."""


@dataclass(frozen=True)
class ReadinessItem:
    """One readiness check, named for machines (``check``, and the language it is about, if any)."""

    check: str
    language: str
    result: Check


@dataclass(frozen=True)
class KioskHealth:
    """One look at this kiosk's health."""

    looked_at: datetime
    content_version: str
    content_published: bool
    content_published_at: datetime | None
    """When the version served was published (from its manifest); None for a folder edited in place."""
    content_taken_at: datetime
    """When this kiosk started serving that version: the last sync that brought something new."""
    content_waiting: bool
    """A newer version is arriving, or the folder differs from the version served."""
    synced: bool
    """The content folder is a Syncthing folder (it holds Syncthing's ``.stfolder`` marker)."""
    printer_name: str | None
    printer: PrinterStatus | None
    """None when there is no default printer, or CUPS cannot say how it is."""
    disk_free_bytes: int
    disk_size_bytes: int
    readiness: tuple[ReadinessItem, ...]
    usage_yesterday: dict[str, int] | None = None
    """Yesterday's released usage figures, totalled by kind, when usage figures are on and it was released."""
    syncthing: SyncthingState | None = None
    """What the kiosk's own Syncthing says of the content folder; None when the kiosk is not set up to ask it."""

    @property
    def sync_ok(self) -> bool:
        """A synced folder whose files are all as its publisher published them."""
        return self.synced and self.content_published and not self.content_waiting


def _published_at(folder: Path, version: str) -> datetime | None:
    try:
        manifest = read_manifest(folder)
    except ManifestError:
        return None
    if manifest is None or manifest.version != version:
        return None
    try:
        return datetime.strptime(manifest.published_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _usage_yesterday(app: Flask) -> dict[str, int] | None:
    if not app.config["KIOSK_USAGE_FIGURES"]:
        return None
    yesterday = (datetime.now().date() - timedelta(days=1)).isoformat()
    day = read_released(app.instance_path)["days"].get(yesterday)
    if day is None:
        return None
    return {kind: sum(value for name, value in day["figures"].items() if name.split("/")[0] == kind)
            for kind in KINDS}


def look(app: Flask, syncthing: SyncthingWatch) -> KioskHealth:
    """Look at the machine now (a few commands: CUPS, fontconfig; a few questions to Syncthing)."""
    # Imported here: the readiness check reaches the staff package (the PIN), whose screens show this health.
    from ..deploy.readiness import catalogs_check, font_check, speech_check

    holder = content_holder(app)
    content = holder.current
    folder = Path(app.config["KIOSK_CONTENT"])
    printer_name = default_printer()
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    disk = shutil.disk_usage(app.instance_path)
    languages = app.config["KIOSK_LANGUAGES"]
    readiness = (ReadinessItem("speech", "", speech_check(app)),
                 ReadinessItem("catalogs", "", catalogs_check(languages)),
                 *(ReadinessItem("fonts", language.tag, font_check(language)) for language in languages))
    return KioskHealth(
        looked_at=datetime.now(UTC),
        content_version=content.version, content_published=content.published,
        content_published_at=_published_at(folder, content.version) if content.published else None,
        content_taken_at=content.taken_at, content_waiting=holder.waiting is not None,
        synced=synced_by_syncthing(folder),
        printer_name=printer_name, printer=printer_status(printer_name) if printer_name else None,
        disk_free_bytes=disk.free, disk_size_bytes=disk.total, readiness=readiness,
        usage_yesterday=_usage_yesterday(app), syncthing=syncthing.look())


class HealthWatch:
    """The latest look at one kiosk, taken again once it is older than ``FRESH_SECONDS``."""

    def __init__(self, app: Flask):
        self.app = app
        self.syncthing = SyncthingWatch(app.config["KIOSK_SYNCTHING_CONFIG"], Path(app.config["KIOSK_CONTENT"]))
        self._latest: tuple[float, KioskHealth] | None = None
        self._lock = threading.Lock()

    def current(self) -> KioskHealth:
        """A look no older than ``FRESH_SECONDS``."""
        with self._lock:
            if self._latest is None or time.monotonic() - self._latest[0] >= FRESH_SECONDS:
                self._latest = (time.monotonic(), look(self.app, self.syncthing))
            return self._latest[1]

    def renew(self) -> KioskHealth:
        """Look again now, whatever the age of the last look."""
        with self._lock:
            self._latest = (time.monotonic(), look(self.app, self.syncthing))
            return self._latest[1]


def health_watch(app: Flask) -> HealthWatch:
    """The health watch of ``app``."""
    return app.extensions["kiosk_health"]
