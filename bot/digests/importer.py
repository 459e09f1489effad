"""Importing parsed digests into the queue: all or nothing, duplicates reported, in one transaction.

Parsing lives in the reader modules beside this one (pure); this module decides weeks and times,
fills arXiv gaps and
writes. It checks duplicates against one preloaded set instead of one query per row, and
writes the new rows as plain tuples with one executemany on the driver's cursor
(bot/store/entry_rows.py), inside the transaction that read the duplicates and the last position:
building ORM objects for 10,000 rows cost more than parsing the digest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.store.new_entry import NewEntry
from bot.store.pg_lock import QUEUE_LOCK_KEY, lock_transaction

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.digests.records import ImportedEntry


@dataclass
class ImportReport:
    added: list[tuple[int | None, str]] = field(default_factory=list)  # (id, url)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)  # (line, url, why)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, title, reason)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.duplicates)} already queued"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts)


def resolve_week(entry: ImportedEntry, file_week: str | None, default_week: str) -> str:
    return entry.week or file_week or default_week


def resolve_at(at: datetime | None, tz: tzinfo) -> datetime | None:
    """Times without an offset are wall-clock times in the configured zone."""
    if at is None:
        return None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


def import_entries(engine: Engine, plan: ImportPlan) -> ImportReport:
    """Queue the plan's entries in file order; a URL already queued for its week is reported,
    not added. Through the ORM's connection, on a database its engine migrated;
    `import_entries_directly` is the same without the ORM."""
    from sqlmodel import Session

    from bot.store.queue_changes import mark_changed

    with Session(engine, expire_on_commit=False) as session:
        lock_transaction(session, QUEUE_LOCK_KEY)  # PostgreSQL: one queue writer at a time
        connection = session.connection()
        cursor = connection.connection.cursor()
        try:
            report, wrote = plan.write(cursor, sqlite=connection.dialect.name == "sqlite")
        finally:
            cursor.close()
        if not wrote:
            session.rollback()
            return report
        mark_changed(session)
        session.commit()
    return report


def import_entries_directly(environ: Mapping[str, str], plan: ImportPlan) -> ImportReport | None:
    """`import_entries` through the database's own driver (bot/store/direct_write.py), without
    importing the ORM; None when the database is not at head (the ORM's path migrates it)."""
    from bot.store.direct_write import writing_directly

    with writing_directly(environ) as write:
        if write is None:
            return None
        report, write.changed = plan.write(write.cursor, sqlite=write.sqlite)
        return report


def queued_urls(
    engine: Engine, entries: Sequence[ImportedEntry], *, file_week: str | None, default_week: str
) -> set[int]:
    """The indexes of `entries` already queued for their week (asked before fetching anything
    for them from arXiv: importing a file twice must not cost arXiv's time twice)."""
    weeks = {resolve_week(e, file_week, default_week) for e in entries}
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        existing = _queued_keys(cursor, weeks, sqlite=engine.dialect.name == "sqlite")
    finally:
        connection.close()
    return {
        index
        for index, e in enumerate(entries)
        if (e.url, resolve_week(e, file_week, default_week)) in existing
    }


def _queued_keys(cursor: Any, weeks: set[str], *, sqlite: bool) -> dict[tuple[str, str], int]:
    """(url, week) -> entry id of what is already queued in those weeks, in one query."""
    if not weeks:
        return {}
    if sqlite:
        marks = ", ".join("?" for _ in weeks)
        cursor.execute(f"SELECT id, url, week FROM entry WHERE week IN ({marks})", sorted(weeks))
    else:
        cursor.execute("SELECT id, url, week FROM entry WHERE week = ANY(%s)", [sorted(weeks)])
    return {(url, week): entry_id for entry_id, url, week in cursor.fetchall()}


@dataclass(frozen=True)
class ImportPlan:
    """One import: its entries and choices. Every new entry targets `channels` (the config's
    `[channels] post_to`); `file_week` (the digest's) wins over `default_week` (this week) for
    entries without their own. Written on a DB-API cursor in the transaction that holds the
    queue's write lock (either path): duplicates reported, the rest new rows."""

    entries: Sequence[ImportedEntry]
    file_week: str | None
    default_week: str
    tz: tzinfo
    channels: tuple[str, ...] = ("x",)
    dry_run: bool = False
    progress: Callable[[int], None] | None = None

    def write(self, cursor: Any, *, sqlite: bool) -> tuple[ImportReport, bool]:
        """The report, and whether anything was written (nothing on a dry run)."""
        from bot.store.entry_rows import insert_entries

        report = ImportReport()
        weeks = {resolve_week(e, self.file_week, self.default_week) for e in self.entries}
        existing = _queued_keys(cursor, weeks, sqlite=sqlite)
        cursor.execute("SELECT max(position) FROM entry")
        (last,) = cursor.fetchone()
        new_rows = self._rows(existing, report)
        if self.dry_run:
            report.added = [(None, row.url) for row in new_rows]
            return report, False
        now = datetime.now(UTC)
        ids = insert_entries(
            cursor, new_rows, first_position=int(last or 0) + 1, now=now, sqlite=sqlite
        )
        report.added = [(ids[(row.url, row.week)], row.url) for row in new_rows]
        return report, bool(new_rows)

    def _rows(self, existing: dict[tuple[str, str], int], report: ImportReport) -> list[NewEntry]:
        """The new rows in file order; what is queued already, or repeated, goes in `report`."""
        new_rows: list[NewEntry] = []
        seen: dict[tuple[str, str], int] = {}
        for index, item in enumerate(self.entries):
            week = resolve_week(item, self.file_week, self.default_week)
            key = (item.url, week)
            if key in existing:
                reason = f"already queued for {week} as entry {existing[key]}"
                report.duplicates.append((item.line, item.url, reason))
                continue
            if key in seen:
                reason = f"repeats line {seen[key]} of the same file"
                report.duplicates.append((item.line, item.url, reason))
                continue
            seen[key] = item.line
            new_rows.append(self._row(item, week))
            if self.progress is not None:
                self.progress(index + 1)
        return new_rows

    def _row(self, item: ImportedEntry, week: str) -> NewEntry:
        return NewEntry(
            kind=item.kind,
            title=item.title,
            url=item.url,
            arxiv_id=item.arxiv_id,
            comment=item.comment,
            images=tuple({"source": i.source, "alt": i.alt} for i in item.images),
            week=week,
            at=resolve_at(item.at, self.tz),
            channels=self.channels,
        )
