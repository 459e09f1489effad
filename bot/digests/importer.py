"""Importing parsed digests into the queue: all or nothing, duplicates reported, in one transaction.

Parsing lives in the reader modules beside this one (pure); this module decides weeks and times,
fills arXiv gaps and
writes. It checks duplicates against one preloaded set instead of one query per row, and
writes the new rows as plain tuples with one executemany on the driver's cursor
(bot/store/entry_rows.py), inside the transaction that read the duplicates and the last position:
building ORM objects for 10,000 rows cost more than parsing the digest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.store.models import Entry, utcnow
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


def import_entries(
    engine: Engine,
    entries: Sequence[ImportedEntry],
    *,
    file_week: str | None,
    default_week: str,
    tz: tzinfo,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    channels: Sequence[str] = ("x",),
) -> ImportReport:
    """Queue `entries` in file order; a URL already queued for its week is reported, not added.

    Every new entry targets `channels` (the config's `[channels] post_to`)."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    report = ImportReport()
    weeks = {resolve_week(e, file_week, default_week) for e in entries}
    with Session(engine, expire_on_commit=False) as session:
        lock_transaction(session, QUEUE_LOCK_KEY)  # PostgreSQL: one queue writer at a time
        existing = _queued_keys(session, weeks)
        position = int(session.exec(select(func.max(Entry.position))).one() or 0)
        plan = _RowPlan(existing, file_week, default_week, tz, report, tuple(channels))
        new_rows = plan.rows(entries, progress)
        if dry_run:
            report.added = [(None, row.url) for row in new_rows]
            session.rollback()
            return report
        ids = _insert(session, new_rows, first_position=position + 1, now=utcnow())
        session.commit()
        report.added = [(ids[(row.url, row.week)], row.url) for row in new_rows]
    return report


def queued_urls(
    engine: Engine, entries: Sequence[ImportedEntry], *, file_week: str | None, default_week: str
) -> set[int]:
    """The indexes of `entries` already queued for their week (asked before fetching anything
    for them from arXiv: importing a file twice must not cost arXiv's time twice)."""
    from sqlmodel import Session

    weeks = {resolve_week(e, file_week, default_week) for e in entries}
    with Session(engine) as session:
        existing = _queued_keys(session, weeks)
    return {
        index
        for index, e in enumerate(entries)
        if (e.url, resolve_week(e, file_week, default_week)) in existing
    }


def _queued_keys(session: Any, weeks: set[str]) -> dict[tuple[str, str], int]:
    """(url, week) -> entry id of what is already queued in those weeks, in one query."""
    from sqlmodel import col, select

    existing: dict[tuple[str, str], int] = {}
    if weeks:
        for entry_id, url, week in session.exec(
            select(Entry.id, Entry.url, Entry.week).where(col(Entry.week).in_(sorted(weeks)))
        ).all():
            existing[(url, week)] = entry_id or 0
    return existing


@dataclass
class _RowPlan:
    """Turns imported entries into new queue rows, reporting duplicates as it goes."""

    existing: dict[tuple[str, str], int]
    file_week: str | None
    default_week: str
    tz: tzinfo
    report: ImportReport
    channels: tuple[str, ...]

    def rows(
        self, entries: Sequence[ImportedEntry], progress: Callable[[int], None] | None
    ) -> list[NewEntry]:
        new_rows: list[NewEntry] = []
        seen: dict[tuple[str, str], int] = {}
        for index, item in enumerate(entries):
            week = resolve_week(item, self.file_week, self.default_week)
            key = (item.url, week)
            if key in self.existing:
                self.report.duplicates.append(
                    (
                        item.line,
                        item.url,
                        f"already queued for {week} as entry {self.existing[key]}",
                    )
                )
                continue
            if key in seen:
                self.report.duplicates.append(
                    (item.line, item.url, f"repeats line {seen[key]} of the same file")
                )
                continue
            seen[key] = item.line
            new_rows.append(self._row(item, week))
            if progress is not None:
                progress(index + 1)
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


def _insert(
    session: Any, new_rows: list[NewEntry], *, first_position: int, now: datetime
) -> dict[tuple[str, str], int]:
    """One executemany on the session's own connection (so the same transaction); the queue's
    change counter is raised at commit, as for any write through the session."""
    from bot.store.entry_rows import insert_entries
    from bot.store.queue_changes import mark_changed

    connection = session.connection()
    if new_rows:
        mark_changed(session)
    cursor = connection.connection.cursor()
    try:
        return insert_entries(
            cursor,
            new_rows,
            first_position=first_position,
            now=now,
            sqlite=connection.dialect.name == "sqlite",
        )
    finally:
        cursor.close()
