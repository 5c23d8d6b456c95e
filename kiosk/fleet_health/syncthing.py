"""Whether the kiosk's own Syncthing last synced the content folder, and when.

The kiosk asks the Syncthing that runs beside it, as the same user, over its
REST API on loopback. Where that API listens and its key are read from
Syncthing's ``config.xml`` (the ``syncthing_config`` setting); the folder
asked about is the one whose path is the kiosk's content folder.

Syncthing keeps no "last synced" moment of its own, so the kiosk works it out:
the folder has synced when it holds everything its peers (the publishing
machine) announced, with nothing that failed to arrive and nothing changed
here. While a peer is connected that is true now; once the peer has gone it
was true when the peer was last seen (Syncthing keeps that moment, across
restarts). While the folder is not complete, the last complete look this
kiosk saw is kept in memory; after a restart in the middle of a sync it is
not known until the sync completes.

Nothing here is about patrons: only the folder, its files' arrival and the peers.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ASK_TIMEOUT_SECONDS = 3
"""How long one question to Syncthing may take: it runs on this machine, so a slow answer means trouble."""
NEVER_SEEN = datetime(1971, 1, 1, tzinfo=UTC)
"""Syncthing gives 1970-01-01 as the last-seen moment of a device it never saw."""

CONFIG_UNREADABLE = "config-unreadable"
NOT_ANSWERING = "not-answering"
FOLDER_NOT_SHARED = "folder-not-shared"
PROBLEMS = (CONFIG_UNREADABLE, NOT_ANSWERING, FOLDER_NOT_SHARED)
"""Why the kiosk could not learn how the sync goes: Syncthing's settings cannot be read (or have no
REST address or key), its REST API does not answer (or refuses the key), or it has no folder at the
kiosk's content folder."""


@dataclass(frozen=True)
class SyncthingState:
    """What the kiosk's Syncthing says about the content folder, at one look."""

    problem: str | None = None
    """One of ``PROBLEMS`` when Syncthing could not be asked; the figures below are then empty."""
    complete: bool = False
    """The folder holds everything its peers announced: nothing to arrive, nothing failed, nothing changed here."""
    need_files: int = 0
    need_bytes: int = 0
    pull_errors: int = 0
    """Files Syncthing tried and failed to bring (a full disk, a name the file system refuses)."""
    peer_connected: bool = False
    """A device the folder is shared with (the publishing machine) is connected now."""
    last_synced_at: datetime | None = None
    """When the folder last held everything its peers announced; None if not known (see the module's note)."""

    @property
    def answered(self) -> bool:
        """Syncthing answered about the content folder."""
        return self.problem is None


@dataclass(frozen=True)
class _Access:
    base_url: str
    api_key: str
    folder_id: str | None
    shared_with: frozenset[str]


def _rest_address(gui: ET.Element) -> str | None:
    address = (gui.findtext("address") or "").strip()
    if not address or address.startswith(("unix://", "/")):
        return None
    host, _, port = address.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):  # listening everywhere: ask it on loopback
        host = "127.0.0.1"
    scheme = "https" if gui.get("tls", "false").lower() == "true" else "http"
    return f"{scheme}://{host}:{port}"


def _read_access(config: Path, content_folder: Path) -> _Access | None:
    """The REST address, API key and content folder's id from Syncthing's ``config.xml``; None if unreadable."""
    try:
        root = ET.parse(config).getroot()
    except (OSError, ET.ParseError):
        return None
    gui = root.find("gui")
    if gui is None:
        return None
    base_url, api_key = _rest_address(gui), (gui.findtext("apikey") or "").strip()
    if base_url is None or not api_key:
        return None
    wanted = content_folder.expanduser().resolve()
    for folder in root.findall("folder"):
        if Path(folder.get("path", "")).expanduser().resolve() == wanted:
            return _Access(base_url, api_key, folder.get("id"),
                           frozenset(device.get("id", "") for device in folder.findall("device")))
    return _Access(base_url, api_key, None, frozenset())


def _ask(access: _Access, path: str, **query: str):
    url = access.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, headers={"X-API-Key": access.api_key})
    context = None
    if url.startswith("https:"):
        # Syncthing's own certificate is self-signed; on this machine the key, not the certificate, is what matters.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(request, timeout=ASK_TIMEOUT_SECONDS, context=context) as response:
        return json.loads(response.read())


def syncthing_time(text: str) -> datetime | None:
    """A moment as Syncthing's REST API gives it (RFC 3339); None if it is not one, or is Syncthing's "never"."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment > NEVER_SEEN else None


class SyncthingWatch:
    """Asks the kiosk's Syncthing about the content folder, and remembers the last complete look."""

    def __init__(self, config: Path | None, content_folder: Path):
        self.config = config
        self.content_folder = content_folder
        self._last_complete: datetime | None = None
        self._lock = threading.Lock()

    def look(self) -> SyncthingState | None:
        """How the content folder's sync goes now; None when the kiosk is not set up with Syncthing."""
        if self.config is None:
            return None
        access = _read_access(self.config, self.content_folder)
        if access is None:
            return SyncthingState(problem=CONFIG_UNREADABLE)
        if access.folder_id is None:
            return SyncthingState(problem=FOLDER_NOT_SHARED)
        try:
            own_id = _ask(access, "/rest/system/status")["myID"]
            status = _ask(access, "/rest/db/status", folder=access.folder_id)
            connections = _ask(access, "/rest/system/connections")["connections"]
            seen = _ask(access, "/rest/stats/device")
        # URLError, HTTPError and time-outs are OSErrors; HTTPException: something else answers on that port.
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return SyncthingState(problem=NOT_ANSWERING)
        return self._state(status, access.shared_with - {own_id}, connections, seen)

    def _state(self, status: dict, peers: frozenset[str], connections: dict, seen: dict) -> SyncthingState:
        complete = (status.get("state") != "error" and not status.get("needTotalItems")
                    and not status.get("pullErrors") and not status.get("receiveOnlyTotalItems"))
        connected = any(connections.get(peer, {}).get("connected") for peer in peers)
        now = datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            if complete:
                last_seen = [moment for peer in peers if (moment := syncthing_time(seen.get(peer, {}).get("lastSeen")))]
                synced_at = now if connected else max(last_seen, default=None)
                if synced_at is not None:
                    self._last_complete = max(synced_at, self._last_complete or synced_at)
            last_synced_at = self._last_complete
        return SyncthingState(complete=bool(complete), need_files=int(status.get("needTotalItems") or 0),
                              need_bytes=int(status.get("needBytes") or 0),
                              pull_errors=int(status.get("pullErrors") or 0), peer_connected=connected,
                              last_synced_at=last_synced_at)
