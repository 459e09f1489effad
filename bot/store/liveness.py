"""Whether a poster named in the heartbeat row is still alive, asked of the operating system.

Apart from bot/store/lease.py so that `status` can ask without importing the ORM.
"""

from __future__ import annotations

import os


def this_host() -> str:
    """The host name a poster writes in its lease (`socket.gethostname()`, without importing
    socket where the kernel's own name is at hand: ~5 ms of `status`'s start)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def owner_gone(owner: str) -> bool:
    """Whether the poster named by `owner` (see new_owner) is known to be dead: its host is
    this one and no process has its pid. Another host's poster is never known gone."""
    host, pid, _ = [*owner.split(":"), "", ""][:3]
    if host != this_host() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
