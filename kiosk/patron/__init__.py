"""Everything a patron sees and does: the pages, the display choices, the keyboard, the end of a session."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the patron's pages and the session's end, and the helpers their templates use."""
    # Imported here: the layout (which the pages use) itself needs .display from this package.
    from ..content.model import TranslationState
    from ..i18n import language_display_name
    from ..keyboards import keyboard_for
    from ..languages import BY_TAG
    from . import help, keyboard, pages, session

    app.register_blueprint(pages.bp)
    app.register_blueprint(keyboard.bp)
    app.register_blueprint(session.bp)
    help.init_app(app)
    app.jinja_env.globals.update(reading_time=pages.reading_time, translation_notice=pages.translation_notice,
                                 in_language=pages.in_language,
                                 keyboard_layout=keyboard_for, language_named=BY_TAG.get,
                                 language_display_name=language_display_name, TranslationState=TranslationState)
