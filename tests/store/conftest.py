"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def empty_url(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no tables at all on the store under test."""
    if store == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    databases = request.getfixturevalue("pg_databases")
    url = databases.create(migrated=False)
    yield url
    databases.drop(url)
