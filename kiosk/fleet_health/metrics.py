"""This kiosk's health in Prometheus's text format, written every minute for the node exporter's textfile collector.

The kiosk opens no port of its own for this: it writes ``reading_kiosk.prom``
(atomically: the collector reads the old file or the new, never half) into the
folder given by ``--metrics-folder``, which the node exporter on the same
machine serves. The collector's own ``node_textfile_mtime_seconds`` then tells
a kiosk that stopped writing (stale) from a machine that is down (no scrape).

Names follow Prometheus's conventions: a ``kiosk_`` prefix, base units
(seconds, bytes, ratios), ``_timestamp_seconds`` for moments, and an info
metric (always 1) for the content version. No figure here moves when a patron
reads, listens or prints: there is no job counter, and a printer's state is its
own (paper, jam, door), never a job's.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from flask import Flask
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

from ..atomic import write_atomically
from .health import KioskHealth, health_watch

METRICS_FILE = "reading_kiosk.prom"
WRITE_EVERY_SECONDS = 60
WATCHED_REASONS = ("media-empty", "media-needed", "media-low", "media-jam", "door-open", "cover-open",
                   "marker-supply-empty", "marker-supply-low", "toner-empty", "toner-low", "offline", "paused")
"""CUPS's printer-state-reasons always written (0 or 1), so an alert can wait for each; others only while present."""
PRINTER_STATES = ("idle", "processing", "stopped", "unknown")


def _gauge(name: str, documentation: str, value: float | None = None,
           labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value, labels=labels or None)


def health_metrics(health: KioskHealth) -> list:
    """The metric families that describe ``health``."""
    families = [
        _gauge("kiosk_serving", "1 while the kiosk runs and serves (written by the serving kiosk itself).", 1),
        _gauge("kiosk_health_looked_timestamp_seconds", "When the machine was last looked at.",
               health.looked_at.timestamp()),
        _gauge("kiosk_content_taken_timestamp_seconds",
               "When the kiosk started serving the content version it serves.", health.content_taken_at.timestamp()),
        _gauge("kiosk_content_waiting", "1 while a newer content version is arriving (or the folder differs "
                                        "from the version served), not yet complete.", int(health.content_waiting)),
        _gauge("kiosk_content_synced_folder", "1 if the content folder is a Syncthing folder (.stfolder).",
               int(health.synced)),
        _gauge("kiosk_content_sync_ok", "1 if the Syncthing folder holds a complete published version.",
               int(health.sync_ok)),
        _gauge("kiosk_instance_filesystem_avail_bytes", "Free space for the kiosk in its instance folder.",
               health.disk_free_bytes),
        _gauge("kiosk_instance_filesystem_size_bytes", "Size of the file system of the instance folder.",
               health.disk_size_bytes),
        _gauge("kiosk_printer_configured", "1 if CUPS has a default printer for the kiosk.",
               int(health.printer_name is not None)),
    ]
    info = InfoMetricFamily("kiosk_content", "The content version served.", labels=("version", "published"))
    info.add_metric((health.content_version, str(health.content_published).lower()), {})
    families.append(info)
    if health.content_published_at is not None:
        families.append(_gauge("kiosk_content_published_timestamp_seconds",
                               "When the content version served was published.",
                               health.content_published_at.timestamp()))
    families += _printer_metrics(health)
    families += _syncthing_metrics(health)
    if health.usage_yesterday is not None:
        usage = _gauge("kiosk_usage_released_yesterday", "Yesterday's usage figures as released with "
                                                        "differential privacy (noisy; may be below zero), by kind.",
                       labels=("figure",))
        for kind, value in health.usage_yesterday.items():
            usage.add_metric((kind,), value)
        families.append(usage)
    ready = _gauge("kiosk_readiness_ok", "1 if a readiness check passes (as reading-kiosk --check).",
                   labels=("check", "language"))
    for item in health.readiness:
        ready.add_metric((item.check, item.language), int(item.result.ok))
    families.append(ready)
    return families


def _printer_metrics(health: KioskHealth) -> list:
    printer = health.printer
    if printer is None:
        return []
    state = _gauge("kiosk_printer_state", "1 for the printer's present state (IPP printer-state).",
                   labels=("printer", "state"))
    for name in PRINTER_STATES:
        state.add_metric((printer.name, name), int(printer.state == name))
    accepting = _gauge("kiosk_printer_accepting_jobs", "1 if the printer's queue accepts jobs.",
                       labels=("printer",))
    accepting.add_metric((printer.name,), int(printer.accepting_jobs))
    reasons = _gauge("kiosk_printer_state_reason", "1 while CUPS gives this reason for the printer's state "
                                                   "(printer-state-reasons, without -error/-warning).",
                     labels=("printer", "reason"))
    for reason in sorted(set(WATCHED_REASONS) | set(printer.reasons)):
        reasons.add_metric((printer.name, reason), int(reason in printer.reasons))
    families = [state, accepting, reasons]
    if printer.supplies:
        levels = _gauge("kiosk_printer_supply_level_ratio", "Level of a printer supply (ink, toner, paper) "
                                                            "as the printer reports it, from 0 to 1.",
                        labels=("printer", "supply"))
        for supply, level in printer.supplies:
            levels.add_metric((printer.name, supply), level)
        families.append(levels)
    return families


def _syncthing_metrics(health: KioskHealth) -> list:
    """Syncthing's word on the content folder; nothing when the kiosk is not set up to ask it."""
    sync = health.syncthing
    if sync is None:
        return []
    families = [_gauge("kiosk_syncthing_up", "1 if the kiosk's own Syncthing answered about the content folder "
                                             "(0: its settings cannot be read, it does not answer, or it does "
                                             "not share the content folder).", int(sync.answered))]
    if not sync.answered:
        return families
    families += [
        _gauge("kiosk_syncthing_folder_complete", "1 if the content folder holds everything the publishing "
                                                  "machine announced, nothing failed and nothing changed here.",
               int(sync.complete)),
        _gauge("kiosk_syncthing_need_files", "Files and folders of the content still to arrive.", sync.need_files),
        _gauge("kiosk_syncthing_need_bytes", "Bytes of the content still to arrive.", sync.need_bytes),
        _gauge("kiosk_syncthing_pull_errors", "Files of the content Syncthing failed to bring.", sync.pull_errors),
        _gauge("kiosk_syncthing_peer_connected", "1 if the publishing machine (a device the content folder is "
                                                 "shared with) is connected now.", int(sync.peer_connected)),
    ]
    if sync.last_synced_at is not None:
        families.append(_gauge("kiosk_syncthing_last_sync_timestamp_seconds",
                               "When the content folder last held everything the publishing machine announced "
                               "(absent: not known since the kiosk started).", sync.last_synced_at.timestamp()))
    return families


class _Snapshot:
    """A prometheus_client collector over one look at the machine."""

    def __init__(self, health: KioskHealth):
        self.health = health

    def collect(self):
        """The metric families (prometheus_client asks for them when it writes the text)."""
        return health_metrics(self.health)


def metrics_text(health: KioskHealth) -> bytes:
    """``health`` in Prometheus's text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(health))
    return generate_latest(registry)


def write_metrics(app: Flask) -> Path:
    """Look at the machine and write the metrics file atomically (readable by the node exporter); return its path."""
    folder = Path(app.config["KIOSK_METRICS_FOLDER"])
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    path = folder / METRICS_FILE
    # The temporary file's name ends in .tmp, which the collector ignores (it reads only *.prom).
    write_atomically(path, metrics_text(health_watch(app).renew()), mode=0o644)
    return path


class MetricsWriter:
    """Writes the metrics file at start and then every ``WRITE_EVERY_SECONDS``, in a thread of its own."""

    def __init__(self, app: Flask):
        self.app = app
        self._stop = threading.Event()
        # The thread holds the writer weakly, and is woken to end once it is gone: a kiosk made and
        # dropped (in tests, or by an embedding program) leaves neither a thread nor itself behind.
        weakref.finalize(self, self._stop.set)
        self._thread = threading.Thread(target=_write_every, args=(weakref.ref(self), self._stop),
                                        name="kiosk-metrics", daemon=True)

    def start(self) -> None:
        """Start writing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop writing (for tests; a running kiosk writes until it ends)."""
        self._stop.set()
        self._thread.join()

    def write(self) -> None:
        """Write the metrics file once; a failure is logged, and the next minute's file written all the same."""
        try:
            write_metrics(self.app)
        except Exception as error:  # noqa: BLE001 -- a full disk or a busy CUPS must not stop the next minute's file
            self.app.logger.error("health metrics not written (%s)", type(error).__name__)


def _write_every(held: weakref.ref[MetricsWriter], stop: threading.Event) -> None:
    """The metrics file written now and every ``WRITE_EVERY_SECONDS`` until ``stop``, for as long as the
    writer ``held`` is in use."""
    while True:
        writer = held()
        if writer is None:
            return
        writer.write()
        del writer  # held only weakly between writes
        if stop.wait(WRITE_EVERY_SECONDS):
            return
