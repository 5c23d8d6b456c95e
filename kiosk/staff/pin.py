"""The staff PIN: stored only as a salted scrypt hash, with a lock-out that survives a restart.

Both files live in the instance folder, owner-only, written atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..atomic import read_json, write_json_atomically

PIN_FILE = "staff-pin.json"
LOCKOUT_FILE = "staff-lockout.json"
PIN_LENGTHS = range(4, 13)
# scrypt cost: about 50 ms on a small PC, slow enough to make guessing offline expensive.
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
FREE_TRIES = 3
FIRST_LOCK_SECONDS = 30
LONGEST_LOCK_SECONDS = 3600


class PinFormatError(ValueError):
    """The PIN is not 4 to 12 digits."""


def check_pin_format(pin: str) -> str:
    """Return ``pin`` if it is 4 to 12 ASCII digits; raise ``PinFormatError`` otherwise."""
    if not (pin.isascii() and pin.isdigit() and len(pin) in PIN_LENGTHS):
        raise PinFormatError("a PIN is 4 to 12 digits")
    return pin


def _hash(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def set_pin(instance: Path, pin: str) -> None:
    """Store a new PIN's salted hash (and clear any lock-out)."""
    salt = secrets.token_bytes(16)
    write_json_atomically(Path(instance) / PIN_FILE, {
        "algorithm": "scrypt", **SCRYPT, "salt": salt.hex(),
        "hash": _hash(check_pin_format(pin), salt, **SCRYPT).hex(),
    })
    Lockout(instance).clear()


def pin_is_set(instance: Path) -> bool:
    """True once a PIN has been stored."""
    return bool(read_json(Path(instance) / PIN_FILE, {}).get("hash"))


def pin_matches(instance: Path, pin: str) -> bool:
    """Whether ``pin`` is the stored PIN (False when no PIN is set or the input is not a PIN)."""
    stored = read_json(Path(instance) / PIN_FILE, {})
    try:
        pin = check_pin_format(pin)
        salt = bytes.fromhex(stored["salt"])
        expected = bytes.fromhex(stored["hash"])
        computed = _hash(pin, salt, int(stored["n"]), int(stored["r"]), int(stored["p"]))
    except (PinFormatError, KeyError, ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, expected)


@dataclass
class Lockout:
    """Failed tries and the time until which the PIN screen refuses every try."""

    instance: Path

    @property
    def _path(self) -> Path:
        return Path(self.instance) / LOCKOUT_FILE

    def _state(self) -> dict:
        state = read_json(self._path, {})
        return state if isinstance(state, dict) else {}

    def seconds_left(self, now: float | None = None) -> int:
        """Seconds until another try is allowed (0 when not locked)."""
        now = time.time() if now is None else now
        return max(0, int(float(self._state().get("locked_until", 0)) - now + 0.999))

    def record_failure(self, now: float | None = None) -> int:
        """Count a wrong PIN; after the free tries, lock for a time that doubles each time.

        Returns the seconds of the lock now in force (0 if none).
        """
        now = time.time() if now is None else now
        failures = int(self._state().get("failures", 0)) + 1
        lock = 0
        if failures >= FREE_TRIES:
            lock = min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_TRIES), LONGEST_LOCK_SECONDS)
        write_json_atomically(self._path, {"failures": failures, "locked_until": now + lock})
        return lock

    def clear(self) -> None:
        """Forget failed tries (after a right PIN or a new one)."""
        write_json_atomically(self._path, {"failures": 0, "locked_until": 0})
