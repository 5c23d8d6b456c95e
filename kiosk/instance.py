"""The instance folder: the kiosk's own files (PIN hash, lock-out count, saved settings, start-up cache,
search index), none of them about patrons.

None of them is needed to serve patrons. A damaged one is set aside (renamed
``<name>.damaged``, said in one log line naming it) and made again; a folder
that cannot be written (read-only, or a full disk) costs a slower start and
counts kept in memory, never a page. ``/healthz`` and the readiness check say
whether it can be written and how much room is left.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
LOW_ON_ROOM = 100 * 1024 * 1024
"""Below this much free room the folder is reported as nearly full."""


def set_aside(path: Path, what: str) -> None:
    """Rename a damaged file out of the kiosk's way (so it can be looked at) and say so in one line."""
    path = Path(path)
    log.warning("%s (%s) is damaged: set aside as %s.damaged, made again", path, what, path.name)
    try:
        path.replace(path.with_name(path.name + ".damaged"))
    except OSError:
        try:
            path.unlink()
        except OSError:
            pass  # a read-only folder: the file is simply not used


@dataclass(frozen=True)
class FolderState:
    """Whether the instance folder can be written, and the room left on its disk."""

    writable: bool
    free_bytes: int | None
    problem: str | None
    """What is wrong, in words for the staff and the readiness check (None when nothing is)."""


def folder_state(folder: Path) -> FolderState:
    """Try writing a small file in ``folder`` (and remove it), and measure the room left."""
    folder = Path(folder)
    try:
        free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
    except OSError:
        free = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        with probe.open("wb") as file:
            file.write(b"x")
        probe.unlink()
    except OSError as error:
        return FolderState(False, free, f"{folder} cannot be written ({error.strerror}): the start-up cache, "
                                        "saved settings and lock-out count are kept in memory only")
    if free is not None and free < LOW_ON_ROOM:
        return FolderState(True, free, f"{folder} has only {free // (1024 * 1024)} MiB free")
    return FolderState(True, free, None)
