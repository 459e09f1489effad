"""`paperbot list` on PostgreSQL with psycopg alone, the counterpart of bot/store/fastread.py.

SQLAlchemy and SQLModel cost ~0.5 s to import (more on a busy host), far more than the query;
psycopg alone costs a fraction of that. The rows get the shape the serializer expects (aware UTC
datetimes; the JSON columns arrive decoded), so `--json` is the same document as the ORM path
(tests/test_cli_queue.py compares them on both stores). A database not at the current schema,
or a URL psycopg cannot take as it is, returns None and the caller takes the ORM path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from bot.store.engine import HEAD_REVISION

_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://")
_TIMES = ("at", "next_attempt_at", "created_at", "updated_at", "posted_at")


def libpq_url(url: str) -> str | None:
    """The URL as libpq reads it (no SQLAlchemy driver suffix), or None if not PostgreSQL."""
    for scheme in _SCHEMES:
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return None


def list_rows(
    url: str, *, week: str | None, statuses: Sequence[str]
) -> tuple[list[Any], dict[int, list[Any]]] | None:
    """(entries, posts by entry id) read with psycopg, or None for the ORM path."""
    conninfo = libpq_url(url)
    if conninfo is None:
        return None
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        return None  # the ORM path then says which driver is missing
    try:
        connection = psycopg.connect(conninfo, row_factory=dict_row, autocommit=False)
    except psycopg.Error:
        return None  # the ORM path reports the failure with the usual one-line message
    with connection:
        try:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except psycopg.Error:
            return None
        if revision is None or revision["version_num"] != HEAD_REVISION:
            return None
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if week:
            where.append("week = %s")
            params.append(week)
        if statuses:
            where.append("status = ANY(%s)")
            params.append(list(statuses))
        query = f"SELECT * FROM entry WHERE {' AND '.join(where)} ORDER BY week, position"
        entries = [_row(row) for row in connection.execute(query, params)]
        posts: dict[int, list[Any]] = {entry.id: [] for entry in entries}
        if entries:
            for row in connection.execute(
                "SELECT * FROM post WHERE entry_id = ANY(%s) ORDER BY id", [list(posts)]
            ):
                post = _row(row)
                posts[post.entry_id].append(post)
        return entries, posts


def _row(row: dict[str, Any]) -> SimpleNamespace:
    for name in _TIMES:
        value = row.get(name)
        if isinstance(value, datetime):
            row[name] = value.astimezone(UTC)
    return SimpleNamespace(**row)
