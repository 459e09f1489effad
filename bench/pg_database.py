"""A throwaway PostgreSQL database for the benchmarks (`--database postgres`).

The server is tests/pgcluster.py's (initdb + pg_ctl in a temp dir, as an unprivileged user under
root), or `PAPERBOT_TEST_POSTGRES_URL` when set; the database is empty and dropped afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@contextmanager
def throwaway_database() -> Iterator[str]:
    """The URL of a new, empty database on a PostgreSQL server that lives as long as the block."""
    from tests.pgcluster import Cluster, Databases

    given = os.environ.get("PAPERBOT_TEST_POSTGRES_URL")
    cluster = None if given else Cluster()
    try:
        databases = Databases(given or cluster.start())  # type: ignore[union-attr]
        try:
            yield databases.create(migrated=False)
        finally:
            databases.close()
    finally:
        if cluster is not None:
            cluster.stop()
