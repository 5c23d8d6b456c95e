"""What one part of the kiosk announces and others may act on, so that dependencies run one way.

Patron code announces the end of a patron session; whoever holds state that
must not outlive it (staff sessions, audio being made) listens. Nothing sent
with these signals says anything about what a patron did.

Each app has signals of its own (``signals_of``), not signals shared by the
process: blinker's bookkeeping is not thread-safe, and an app's last reference
may go in one of its background threads, whose clean-up would then run while
another app in the same process (the tests make many) connects its receivers.
Every signal is sent with the app as its sender.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blinker import Signal

if TYPE_CHECKING:  # what runs before the kiosk starts again imports no Flask (see deploy.command)
    from flask import Flask


class KioskSignals:
    """The signals of one kiosk app; they live and die with it."""

    __slots__ = ("patron_session_ended", "settings_changed", "content_replaced", "content_loading")

    def __init__(self) -> None:
        self.patron_session_ended = Signal(doc="""\
A patron session ended (idle time, Quick exit or a staff reset).""")
        self.settings_changed = Signal(doc="""\
Staff saved new settings, already applied to the app's config.""")
        self.content_replaced = Signal(doc="""\
A new version of the content is being served.""")
        self.content_loading = Signal(doc="""\
The content folder is being read at start-up, in worker processes when it is big; this
process is free meanwhile for other start-up work that does not need the content. Sent once.""")


def signals_of(app: Flask) -> KioskSignals:
    """The signals of ``app``, made when first asked for (whichever part is wired first)."""
    if "kiosk_signals" not in app.extensions:
        app.extensions["kiosk_signals"] = KioskSignals()
    return app.extensions["kiosk_signals"]
