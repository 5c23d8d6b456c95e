"""The reading kiosk: a Flask app that serves a content folder to patrons.

``create_app`` only wires the parts together; each concern has its own module.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from . import (cli, content, errors, handouts, headers, health, i18n, page_cache, patron, patron_session,
               patron_state, runtime_settings, staff, staff_session)
from .errors import KioskFlask
from .settings import BY_NAME, PROJECT_ROOT, load_settings


def create_app(test_config: Mapping[str, Any] | None = None) -> KioskFlask:
    """Build the kiosk app from the declared settings (environment, then ``test_config``)."""
    settings = load_settings(os.environ, test_config)
    app = KioskFlask(__name__, static_folder=str(PROJECT_ROOT / "static"),
                     instance_path=str(settings["KIOSK_INSTANCE"].resolve()))
    app.config.update(settings)
    app.config.update({key: value for key, value in (test_config or {}).items()
                       if key not in BY_NAME and not key.startswith("KIOSK_")})
    runtime_settings.apply_saved_settings(app)
    for part in (i18n, patron_state, headers, errors, content, page_cache, staff_session, cli):
        part.init_app(app)
    for blueprint in (patron.bp, patron_session.bp, handouts.bp, health.bp, staff.bp):
        app.register_blueprint(blueprint)
    return app
