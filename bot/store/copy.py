"""Copy a whole paperbot database to another store (SQLite → PostgreSQL when a bot moves host).

Row for row, ids included, so history, attempts and the "one post per entry and channel" rule
survive the move, and a post left `posting` is still settled from the timeline afterwards. The
target must be empty (at the current schema, which is created if needed): merging two queues
would renumber ids. The copy is one transaction on the target, so it lands whole or not at all.
PostgreSQL sequences are then moved past the copied ids, or the next insert would collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.store.engine import READ_ONLY, DatabaseError, ensure_schema, make_engine, redact_url

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

BATCH = 2_000
# A lease belongs to a process on the old database; it does not move with the rows.
_LEASE_COLUMNS = ("owner", "pid", "heartbeat_at")
# The change counter only tells a daemon that the queue changed: the target has its own row
# (its migration made it), which is neither user data nor to be overwritten.
_NOT_COPIED = frozenset({"queue_change"})


class CopyRefused(ValueError):
    """The copy cannot start (same database, target not empty): nothing was written."""


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    rows: dict[str, int]


def _tables() -> list[Table]:
    """Every paperbot table, parents before children (foreign keys hold at each insert)."""
    from sqlmodel import SQLModel

    import bot.store.models  # noqa: F401  (registers the tables)

    return [t for t in SQLModel.metadata.sorted_tables if t.name not in _NOT_COPIED]


def _counts(connection: Connection, tables: list[Table]) -> dict[str, int]:
    from sqlalchemy import func, select

    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in tables
    }


def copy_database(source_url: str, target_url: str) -> CopyReport:
    """Copy every row of `source_url` into the empty database at `target_url`."""
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        if source.url == target.url:
            raise CopyRefused("source and target are the same database")
        ensure_schema(source)
        ensure_schema(target)
        return _copy(source, target)
    finally:
        source.dispose()
        target.dispose()


def _copy(source: Engine, target: Engine) -> CopyReport:
    tables = _tables()
    with _snapshot(source) as reading, target.begin() as writing:
        busy = {name: n for name, n in _counts(writing, tables).items() if n}
        if busy:
            listed = ", ".join(f"{name} ({n} rows)" for name, n in sorted(busy.items()))
            raise CopyRefused(
                f"{redact_url(str(target.url))} is not empty: {listed}; copy into a new database"
            )
        for table in tables:
            _copy_table(reading, writing, table)
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing, tables)
        copied, expected = _counts(writing, tables), _counts(reading, tables)
        if copied != expected:  # never expected; rolls the whole copy back if it happens
            raise DatabaseError(f"copy incomplete: {copied} rows written, {expected} in source")
    return CopyReport(redact_url(str(source.url)), redact_url(str(target.url)), copied)


def _snapshot(source: Engine) -> Connection:
    """A read-only connection whose transaction sees one moment of the source throughout.

    Read-only matters on SQLite: a writing transaction there starts with BEGIN IMMEDIATE and
    would hold the write lock for the whole copy, stalling a daemon that runs meanwhile; a
    read transaction in WAL mode already reads one snapshot and blocks no writer. PostgreSQL
    needs REPEATABLE READ for the same single snapshot across tables.
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if source.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    return source.connect().execution_options(**options)


def _copy_table(reading: Connection, writing: Connection, table: Table) -> None:
    from sqlalchemy import select

    order = list(table.primary_key.columns)
    result = reading.execution_options(stream_results=True).execute(select(table).order_by(*order))
    for rows in result.mappings().partitions(BATCH):
        batch: list[dict[str, Any]] = [dict(row) for row in rows]
        if table.name == "daemon_state":
            for row in batch:
                row.update(dict.fromkeys(_LEASE_COLUMNS))
        writing.execute(table.insert(), batch)


def _reset_sequences(writing: Connection, tables: list[Table]) -> None:
    """Move each serial id's sequence past the largest copied id."""
    from sqlalchemy import Integer, text

    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0].name
        sequence = writing.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column},
        ).scalar()
        if sequence is None:
            continue
        writing.execute(
            text(
                f'SELECT setval(:sequence, COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT '
                f'NULL) FROM "{table.name}"'
            ),
            {"sequence": sequence},
        )
