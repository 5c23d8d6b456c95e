"""The library: loading and validating the content folder, searching it, serving it, taking new versions.

``init_app`` only wires: the content served (``serving``), new versions taken
while the kiosk runs (``updates``) and ``flask content ...`` (``cli``).
"""

from __future__ import annotations

from flask import Flask

from . import cli, serving, updates


def init_app(app: Flask) -> None:
    """Load the content and serve it, look for new versions, and register ``flask content ...``.

    Call it before anything starts a thread: the content is loaded first, while
    the kiosk still runs a single thread (see ``serving``).
    """
    serving.init_app(app)
    updates.init_app(app)
    cli.init_app(app)
