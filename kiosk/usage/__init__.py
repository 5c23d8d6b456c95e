"""Usage figures a funder can trust: counted per day, bounded per session, released with differential privacy."""

from __future__ import annotations

import atexit

from flask import Flask

from ..signals import patron_session_ended
from .recorder import UsageRecorder


def init_app(app: Flask) -> None:
    """Count patron pages while usage figures are on; release each day at midnight and at a clean shutdown."""
    recorder = app.extensions["kiosk_usage"] = UsageRecorder(app)
    app.after_request(recorder.after_request)
    patron_session_ended.connect(recorder.end_session, weak=False)
    if not app.testing:
        recorder.start()
        atexit.register(recorder.release)
