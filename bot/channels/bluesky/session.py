"""The Bluesky session kept between runs, and record keys (TIDs).

createSession is rate limited (the reference server allows 30 per 5 minutes and 300 a day per
account), so a cron ``run --once`` every few minutes must not log in each time: the session
string (handle, DID, access and refresh tokens, PDS) is kept in a file readable by its owner
only, beside the database, and rewritten whenever the SDK creates or refreshes the session. It
holds tokens, so it never goes into the database or a log.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from pathlib import Path

__all__ = ["TID_ALPHABET", "SessionFile", "TidClock", "is_tid", "new_tid"]

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_FIRST = TID_ALPHABET[:16]  # the top bit of a TID is 0


class SessionFile:
    """A session string in a ``0600`` file, replaced atomically (a crash leaves old or new)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):  # missing or unreadable: log in instead
            return None
        return text or None

    def write(self, session_string: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)  # (an old file of that name may have kept other bits)
            os.write(descriptor, session_string.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.path)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def new_tid(micros: int, clock_id: int) -> str:
    """A TID: 53 bits of microseconds since the epoch, then a 10-bit clock id, in 13 characters
    of sortable base32 (so later keys sort after earlier ones)."""
    if not 0 <= micros < 1 << 53 or not 0 <= clock_id < 1 << 10:
        raise ValueError("a TID needs 0 <= micros < 2**53 and 0 <= clock_id < 1024")
    value = micros << 10 | clock_id
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def is_tid(text: str) -> bool:
    return len(text) == 13 and text[0] in _FIRST and all(char in TID_ALPHABET for char in text)


class TidClock:
    """TIDs that strictly increase within a process, from the wall clock and a random clock id."""

    def __init__(self) -> None:
        self._clock_id = secrets.randbelow(1 << 10)
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            micros = max(time.time_ns() // 1000, self._last + 1)
            self._last = micros
        return new_tid(micros, self._clock_id)
