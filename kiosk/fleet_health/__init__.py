"""This kiosk's health, for its staff screen and for a fleet's Prometheus (through the node exporter)."""

from __future__ import annotations

from flask import Flask

from .health import HealthWatch


def init_app(app: Flask) -> None:
    """Keep the latest look at the machine; write it for Prometheus every minute if a metrics folder is set."""
    app.extensions["kiosk_health"] = HealthWatch(app)
    if app.config["KIOSK_METRICS_FOLDER"] is not None and not app.testing:
        # Imported only here: prometheus-client took 13 ms of every start of a kiosk that writes no metrics.
        from .metrics import MetricsWriter

        writer = app.extensions["kiosk_metrics_writer"] = MetricsWriter(app)
        writer.start()
