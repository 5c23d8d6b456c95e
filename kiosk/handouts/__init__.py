"""Handouts: the page laid out for paper, its PDF, QR codes, and printing through CUPS."""

from __future__ import annotations

from flask import Flask

from . import pages
from .qr import qr_svg


def init_app(app: Flask) -> None:
    """Register the handout pages and the QR helper their templates (and the article page) use."""
    app.register_blueprint(pages.bp)
    app.jinja_env.globals["qr_svg"] = qr_svg
