"""The reading kiosk: a Flask app that serves a content folder to patrons.

``create_app`` only wires the parts together; each concern has its own module.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from . import cli, content, errors, handouts, headers, health, i18n, page_cache, patron, patron_session, patron_state
from .errors import KioskFlask
from .settings import BY_NAME, PROJECT_ROOT, load_settings


def create_app(test_config: Mapping[str, Any] | None = None) -> KioskFlask:
    """Build the kiosk app from the declared settings (environment, then ``test_config``)."""
    app = KioskFlask(__name__, static_folder=str(PROJECT_ROOT / "static"), instance_relative_config=True)
    app.config.update(load_settings(os.environ, test_config))
    app.config.update({key: value for key, value in (test_config or {}).items()
                       if key not in BY_NAME and not key.startswith("KIOSK_")})
    for part in (i18n, patron_state, headers, errors, content, page_cache, cli):
        part.init_app(app)
    app.register_blueprint(patron.bp)
    app.register_blueprint(patron_session.bp)
    app.register_blueprint(handouts.bp)
    app.register_blueprint(health.bp)
    return app
