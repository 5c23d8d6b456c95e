"""The staff screens, behind a PIN: content health, bulk printing, local help services, settings. Never what patrons read."""

from __future__ import annotations

from flask import Flask

from . import cli, help_editor, screens, sessions, usage_screen  # these add their screens to screens.bp


def init_app(app: Flask) -> None:
    """Keep staff sessions, register the screens and the ``flask staff`` commands."""
    sessions.init_app(app)
    app.register_blueprint(screens.bp)
    cli.init_app(app)
