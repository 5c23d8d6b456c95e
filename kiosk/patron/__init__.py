"""Everything a patron sees and does: the pages, Get help, the keyboard, the end of a session."""

from __future__ import annotations

from flask import Flask

from ..content.model import TranslationState
from ..i18n import language_display_name
from ..keyboards import keyboard_for
from ..languages import BY_TAG
from . import help, keyboard, pages, session


def init_app(app: Flask) -> None:
    """Register the patron's pages and the session's end, and the helpers their templates use."""
    app.register_blueprint(pages.bp)
    app.register_blueprint(keyboard.bp)
    app.register_blueprint(session.bp)
    app.register_blueprint(help.bp)
    app.jinja_env.globals.update(keyboard_layout=keyboard_for, language_named=BY_TAG.get,
                                 language_display_name=language_display_name, TranslationState=TranslationState)
