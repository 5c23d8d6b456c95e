"""The staff PIN: stored only as a salted hash (Werkzeug's scrypt), with a lock-out that survives a restart.

Both files live in the instance folder, owner-only, written atomically. Every
try goes through ``PinGate.try_pin``, which checks the lock-out, the PIN and
counts a failure as one step under a lock: guesses sent all at once are
checked, counted and locked out one after another, never side by side.

A PIN file from before Werkzeug's hashing (our own scrypt record) is still
read, and rewritten in Werkzeug's form the first time its PIN is given.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from ..atomic import read_json, write_json_atomically
from ..instance import set_aside

PIN_FILE = "staff-pin.json"
LOCKOUT_FILE = "staff-lockout.json"
PIN_LENGTHS = range(4, 13)
HASH_METHOD = "scrypt"
"""Werkzeug's scrypt (2^15 rounds): about a tenth of a second a try on a small PC, slow to guess offline."""
FREE_TRIES = 3
FIRST_LOCK_SECONDS = 30
LONGEST_LOCK_SECONDS = 3600

log = logging.getLogger(__name__)


class PinFormatError(ValueError):
    """The PIN is not 4 to 12 digits."""


def check_pin_format(pin: str) -> str:
    """Return ``pin`` if it is 4 to 12 ASCII digits; raise ``PinFormatError`` otherwise."""
    if not (pin.isascii() and pin.isdigit() and len(pin) in PIN_LENGTHS):
        raise PinFormatError("a PIN is 4 to 12 digits")
    return pin


def set_pin(instance: Path, pin: str) -> None:
    """Store a new PIN's salted hash (and clear any lock-out)."""
    write_json_atomically(Path(instance) / PIN_FILE,
                          {"hash": generate_password_hash(check_pin_format(pin), method=HASH_METHOD)})
    write_json_atomically(Path(instance) / LOCKOUT_FILE, _UNLOCKED)


def _stored_pin(instance: Path) -> dict:
    stored = read_json(Path(instance) / PIN_FILE, {})
    return stored if isinstance(stored, dict) and isinstance(stored.get("hash"), str) else {}


def pin_is_set(instance: Path) -> bool:
    """True once a PIN has been stored (and its file can be read)."""
    return bool(_stored_pin(instance))


def _legacy_matches(stored: dict, pin: str) -> bool:
    """Our own scrypt record, as PIN files were written before Werkzeug's hashing."""
    try:
        computed = hashlib.scrypt(pin.encode("ascii"), salt=bytes.fromhex(stored["salt"]), n=int(stored["n"]),
                                  r=int(stored["r"]), p=int(stored["p"]), maxmem=64 * 1024 * 1024, dklen=32)
        return hmac.compare_digest(computed, bytes.fromhex(stored["hash"]))
    except (KeyError, ValueError, TypeError):
        return False


def pin_matches(instance: Path, pin: str) -> bool:
    """Whether ``pin`` is the stored PIN (False when no PIN is set or the input is not a PIN)."""
    stored = _stored_pin(instance)
    try:
        pin = check_pin_format(pin)
    except PinFormatError:
        return False
    if not stored:
        return False
    if stored.get("algorithm") == "scrypt":
        if not _legacy_matches(stored, pin):
            return False
        try:
            set_pin(instance, pin)  # the same PIN, now in Werkzeug's form
        except OSError:
            pass  # a read-only instance folder: it stays readable as it is
        return True
    try:
        return check_password_hash(stored["hash"], pin)
    except (ValueError, TypeError):  # a damaged hash never matches
        return False


_UNLOCKED = {"failures": 0, "locked_until": 0}


@dataclass(frozen=True)
class Attempt:
    """What became of one try at the PIN."""

    accepted: bool
    wait_seconds: int
    """Seconds until the next try is allowed (0 when not locked)."""
    checked: bool
    """False when the screen was locked and the PIN was not even looked at."""


class PinGate:
    """The PIN screen's door: one try at a time, with failures counted in the instance folder.

    The count is also kept here, so a lock-out holds when the folder cannot be
    written (read-only or full) or its file is damaged.
    """

    def __init__(self, instance: Path):
        self.instance = Path(instance)
        self._lock = threading.Lock()
        self._state = dict(_UNLOCKED)
        self._memory_only = False
        """The last count could not be written: the one here is the truth until a write works again."""

    @property
    def _path(self) -> Path:
        return self.instance / LOCKOUT_FILE

    def _read(self) -> dict:
        """The count on disk; a damaged file is set aside (and said once), the count in memory kept."""
        if self._memory_only:
            return dict(self._state)
        raw = read_json(self._path, None)
        if raw is None and not self._path.exists():
            return dict(_UNLOCKED)  # a new PIN, or never a wrong try
        try:
            state = {"failures": int(raw["failures"]), "locked_until": float(raw["locked_until"])}
            if state["failures"] < 0:
                raise ValueError
            return state
        except (KeyError, TypeError, ValueError):
            set_aside(self._path, "the count of wrong PINs; the count kept in memory goes on")
            return dict(self._state)

    def _write(self, state: dict) -> None:
        self._state = state
        try:
            write_json_atomically(self._path, state)
        except OSError as error:
            if not self._memory_only:
                log.warning("%s cannot be written (%s); wrong tries are counted in memory until a restart",
                            self._path, error.strerror)
            self._memory_only = True
        else:
            self._memory_only = False

    def seconds_left(self, now: float | None = None) -> int:
        """Seconds until another try is allowed (0 when not locked)."""
        now = time.time() if now is None else now
        with self._lock:
            state = self._read()
        return max(0, int(state["locked_until"] - now + 0.999))

    def try_pin(self, pin: str, now: float | None = None) -> Attempt:
        """Check ``pin`` unless the screen is locked; count a wrong one, and clear the count on a right one."""
        with self._lock:
            now = time.time() if now is None else now
            state = self._read()
            waiting = max(0, int(state["locked_until"] - now + 0.999))
            if waiting:
                return Attempt(accepted=False, wait_seconds=waiting, checked=False)
            if pin_matches(self.instance, pin):
                self._write(dict(_UNLOCKED))
                return Attempt(accepted=True, wait_seconds=0, checked=True)
            failures = state["failures"] + 1
            lock = 0
            if failures >= FREE_TRIES:
                lock = min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_TRIES), LONGEST_LOCK_SECONDS)
            self._write({"failures": failures, "locked_until": now + lock})
            return Attempt(accepted=False, wait_seconds=lock, checked=True)
