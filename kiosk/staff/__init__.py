"""The staff screens, behind a PIN: content health, bulk printing, local help services, settings. Never what patrons read."""

from __future__ import annotations

from flask import Flask

from . import (  # noqa: F401 (help_editor and usage_screen add their screens to screens.bp)
    cli,
    help_editor,
    screens,
    sessions,
    usage_screen,
)
from .pin import PinGate


def init_app(app: Flask) -> None:
    """Keep staff sessions and the PIN's lock-out, register the screens and the ``flask staff`` commands."""
    sessions.init_app(app)
    app.extensions["kiosk_pin_gate"] = PinGate(app.instance_path)
    app.register_blueprint(screens.bp)
    cli.init_app(app)
