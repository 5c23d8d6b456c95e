"""The reading kiosk: a Flask app that serves a content folder to patrons.

``create_app`` only wires the parts together; each concern has its own module
or package, and each offers an ``init_app``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .web import KioskFlask


def create_app(test_config: Mapping[str, Any] | None = None) -> KioskFlask:
    """Build the kiosk app from the declared settings (environment, then ``test_config``)."""
    # The parts are imported here, not when the package is: ``reading-kiosk`` starts itself again under
    # the scrubbing allocator before it builds the app, and would otherwise import them all twice (0.3 to
    # 0.6 s of every restart).
    from . import (
        catalogs,
        content,
        fleet_health,
        handouts,
        i18n,
        layout,
        local_help,
        patron,
        reading,
        speech,
        staff,
        usage,
        web,
    )
    from .patron import article_pages
    from .settings import BY_NAME, apply_saved_settings, load_settings
    from .shipped import STATIC
    from .web import KioskFlask

    settings = load_settings(os.environ, test_config)
    app = KioskFlask(__name__, static_folder=str(STATIC),
                     instance_path=str(settings["KIOSK_INSTANCE"].resolve()))
    app.config.update(settings)
    app.config.update({key: value for key, value in (test_config or {}).items()
                       if key not in BY_NAME and not key.startswith("KIOSK_")})
    apply_saved_settings(app)
    # content comes first after i18n: no part may start a thread before the library is loaded (see content.serving).
    for part in (i18n, content, reading, local_help, patron, speech, handouts, usage, fleet_health, staff, web, catalogs):
        part.init_app(app)
    # Last, as they render ahead of time pages that link to every other page:
    layout.init_app(app)
    article_pages.init_app(app)
    return app
