"""The library: loading and validating the content folder, searching it, serving it, taking new versions.

``init_app`` only wires: the content served (``serving``), new versions taken
while the kiosk runs (``updates``) and ``flask content ...`` (``cli``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Load the content and serve it, look for new versions, and register ``flask content ...``.

    Call it before anything starts a thread: the content is loaded first, while
    the kiosk still runs a single thread (see ``serving``).
    """
    # Imported here, not with the package: a look's child (``python -m kiosk.content.taking``) imports the
    # package too, and needs nothing of Flask (a third of a second of every look).
    from . import cli, serving, updates

    serving.init_app(app)
    updates.init_app(app)
    cli.init_app(app)
