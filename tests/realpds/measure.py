"""``python -m tests.realpds.measure [VERSION]``: how long the real-PDS tier's set-up takes.

Cold: an empty ``PAPERBOT_PDS_CACHE`` (and ``npm_config_cache``, for a machine that never ran npm);
warm: the same command again.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.realpds.harness import PDS_VERSION, RealPds, cache_root, install


def measure() -> None:
    """Install (cold when the cache is empty), start, and make the first account, timed."""
    version = sys.argv[1] if len(sys.argv) > 1 else PDS_VERSION
    began = time.monotonic()
    install(version)
    installed = time.monotonic()
    server = RealPds(version, Path(tempfile.mkdtemp(prefix="paperbot-realpds-")))
    server.start()
    started = time.monotonic()
    server.create_account()
    server.stop()
    print(
        f"@atproto/pds {version} in {cache_root()}: install {installed - began:.1f} s, "
        f"start {started - installed:.1f} s, first account {time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    measure()
