"""Usage figures a funder can trust: counted per day, bounded per session, released with differential privacy."""

from __future__ import annotations

from flask import Flask

from ..signals import signals_of
from .recorder import UsageRecorder


def init_app(app: Flask) -> None:
    """Count patron pages while usage figures are on; release each day at midnight.

    The part of a day before a clean shutdown is released by the command that serves (``deploy/command.py``).
    """
    recorder = app.extensions["kiosk_usage"] = UsageRecorder(app)
    app.after_request(recorder.after_request)
    signals_of(app).patron_session_ended.connect(recorder.end_session)
    if not app.testing:
        recorder.start()
