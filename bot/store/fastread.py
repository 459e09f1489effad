"""A read-only path for `paperbot list` that needs no SQLAlchemy at all (SQLite here).

Listing is the command people run most, often in scripts; SQLAlchemy and SQLModel alone cost
~0.5 s to import, far more than the query. When the database is a SQLite file already at the
current schema, rows are read with the standard library and given the shape the serializer
expects (aware UTC datetimes, decoded JSON), so the `--json` output is the same document the ORM
path produces (a test compares them). PostgreSQL URLs go to bot/store/read_postgres.py; anything
else
(a new or outdated file) returns None and the caller takes the ORM path, which also migrates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.store.engine import DEFAULT_DATABASE_URL, HEAD_REVISION

_ENTRY_TIMES = ("at", "next_attempt_at", "created_at", "updated_at")
_POST_TIMES = ("posted_at", "decision_needed_at", "created_at", "updated_at")


def sqlite_path(environ: Mapping[str, str]) -> Path | None:
    """The file of a plain `sqlite:///` URL, else None (memory, other drivers, options)."""
    url = environ.get("PAPERBOT_DATABASE_URL") or environ.get("DATABASE_URL") or ""
    url = url.strip() or DEFAULT_DATABASE_URL
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix:
        return None
    return Path(url[len(prefix) :])


def list_rows(
    environ: Mapping[str, str], *, week: str | None, statuses: Sequence[str]
) -> tuple[list[Any], dict[int, list[Any]]] | None:
    """(entries, posts by entry id) read directly, or None when the ORM path must be used."""
    url = (environ.get("PAPERBOT_DATABASE_URL") or environ.get("DATABASE_URL") or "").strip()
    if url.startswith("postgres"):
        from bot.store.read_postgres import list_rows as list_postgres

        return list_postgres(url, week=week, statuses=statuses)
    path = sqlite_path(environ)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        connection.row_factory = sqlite3.Row
        try:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
        if revision is None or revision[0] != HEAD_REVISION:
            return None
        where, params = [], []
        if week:
            where.append("week = ?")
            params.append(week)
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        entries = [
            _entry(row)
            for row in connection.execute(
                f"SELECT * FROM entry {clause} ORDER BY week, position", params
            )
        ]
        posts: dict[int, list[Any]] = {entry.id: [] for entry in entries}
        if entries:
            connection.execute("CREATE TEMP TABLE wanted (id INTEGER PRIMARY KEY)")
            connection.executemany("INSERT INTO wanted VALUES (?)", [(e.id,) for e in entries])
            for row in connection.execute(
                "SELECT * FROM post WHERE entry_id IN (SELECT id FROM wanted) ORDER BY id"
            ):
                post = _post(row)
                posts[post.entry_id].append(post)
        return entries, posts
    finally:
        connection.close()


def _time(value: str | None) -> datetime | None:
    # SQLAlchemy stores UTC without an offset ("2026-11-27 23:50:33.386439").
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _entry(row: sqlite3.Row) -> SimpleNamespace:
    fields = dict(row)
    fields["images"] = json.loads(fields["images"] or "[]")
    for name in _ENTRY_TIMES:
        fields[name] = _time(fields[name])
    return SimpleNamespace(**fields)


def _post(row: sqlite3.Row) -> SimpleNamespace:
    fields = dict(row)
    fields["media_ids"] = json.loads(fields["media_ids"] or "[]")
    for name in _POST_TIMES:
        fields[name] = _time(fields[name])
    return SimpleNamespace(**fields)
