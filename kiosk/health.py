"""``GET /healthz``: is the kiosk up, and what does it serve? Never anything about patrons."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .content import get_library

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Status, article and language counts, and the default language, as JSON."""
    library = get_library()
    return jsonify(
        status="ok",
        articles=len(library.articles),
        languages=len(current_app.config["KIOSK_LANGUAGES"]),
        language_tags=[language.tag for language in current_app.config["KIOSK_LANGUAGES"]],
        default_language=current_app.config["KIOSK_DEFAULT_LANGUAGE"].tag,
        content_problems=len(library.problems),
    )
