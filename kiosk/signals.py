"""What one part of the kiosk announces and others may act on, so that dependencies run one way.

Patron code announces the end of a patron session; whoever holds state that
must not outlive it (staff sessions, audio being made) listens. Nothing sent
with these signals says anything about what a patron did.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

patron_session_ended = _signals.signal("patron-session-ended", doc="""\
A patron session ended (idle time, Quick exit or a staff reset). Sent with the app.""")

settings_changed = _signals.signal("settings-changed", doc="""\
Staff saved new settings, already applied to the app's config. Sent with the app.""")

content_replaced = _signals.signal("content-replaced", doc="""\
A new version of the content is being served. Sent with the app.""")

content_loading = _signals.signal("content-loading", doc="""\
The content folder is being read at start-up, in worker processes when it is big; this
process is free meanwhile for other start-up work that does not need the content. Sent
once with the app.""")
