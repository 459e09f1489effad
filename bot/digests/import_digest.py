"""Importing a digest file, start to end: read it (size-capped), tell its format, parse it, fill
missing arXiv titles and comments, and queue its entries all or nothing.

`paperbot import` (bot/cli/digests.py) only parses its options and prints the report; a Python
user calls `import_digest` with the database (its environment, and how to open its engine), the
settings and the current time the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config.settings import ArxivSettings
    from bot.digests.importer import ImportReport
    from bot.digests.records import ImportedEntry
    from bot.images.types import ImagePolicy


class DigestInputError(ValueError):
    """The file cannot be read as a digest at all (missing, or over the size limit)."""


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how; `source` is a path, or "-" for standard input."""

    source: str
    week: str | None = None
    fmt: str = "auto"
    dry_run: bool = False
    fetch_metadata: bool = True


def read_input(source: str) -> tuple[bytes, Path, str]:
    """The file's bytes (size-capped before reading), its folder, and a name for messages."""
    from bot.digests.records import MAX_IMPORT_BYTES, read_limited

    if source == "-":
        return read_limited(sys.stdin.buffer, source_name="<stdin>"), Path.cwd(), "<stdin>"
    path = Path(source)
    if not path.is_file():
        raise DigestInputError(f"{source}: no such file")
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:  # refuse before reading a byte of it
        raise DigestInputError(
            f"{source}: {size / 1e6:.1f} MB is over the {MAX_IMPORT_BYTES // 2**20} MB import "
            "limit (split the file)"
        )
    with path.open("rb") as handle:
        return read_limited(handle, source_name=source), path.resolve().parent, source


def detect_format(name: str, data: bytes, chosen: str) -> str:
    """`chosen` unless it is "auto"; else the suffix, else a look at the first bytes."""
    if chosen != "auto":
        return chosen
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".json"):
        return suffix[1:]
    if suffix in (".md", ".markdown", ".txt"):
        return "markdown"
    head = data.lstrip()[:200]
    if head.startswith((b"[", b"{")):
        return "json"
    first_line = head.split(b"\n", 1)[0].lower()
    if first_line.startswith(b"url,") or b",url," in first_line:
        return "csv"
    return "markdown"


def parse_digest(kind: str, data: bytes, base_dir: Path, name: str, week: str | None) -> Any:
    """The ParsedImport of `data` read as `kind` (markdown, csv or json)."""
    from bot.digests.json_digest import parse_json_bytes
    from bot.digests.markdown import parse_markdown_bytes
    from bot.digests.tabular import parse_csv_bytes

    parse = {
        "markdown": parse_markdown_bytes,
        "csv": parse_csv_bytes,
        "json": parse_json_bytes,
    }[kind]
    return parse(data, base_dir=base_dir, source_name=name, week_override=week)


def enrich(
    engine: Engine, entries: list[ImportedEntry], arxiv: ArxivSettings
) -> tuple[list[ImportedEntry], list[str]]:
    """Entries with missing titles/comments filled from arXiv (cache first), and warnings."""
    from bot.digests.enrich import fetch_metadata, fill, needs_metadata
    from bot.text.sentences import first_sentence

    wanted = [
        e.arxiv_id for e in entries if e.arxiv_id and needs_metadata(e.arxiv_id, e.title, e.comment)
    ]
    if not wanted:
        return entries, []
    found, warnings = fetch_metadata(engine, wanted, arxiv)
    filled = [
        fill(e, found.get(e.arxiv_id or ""), first_sentence)
        if needs_metadata(e.arxiv_id, e.title, e.comment)
        else e
        for e in entries
    ]
    return filled, warnings


def with_figures(
    engine: Engine,
    entries: list[ImportedEntry],
    keys: tuple[str | None, str],
    arxiv: ArxivSettings,
    policy: ImagePolicy,
    channels: Sequence[str],
) -> tuple[list[ImportedEntry], list[str]]:
    """Entries with the paper's figure, or captions for images without alt text, from arXiv's
    HTML edition (bot/digests/figures.py); entries already queued for their week are not
    asked about. Failures are warnings: arXiv never fails an import."""
    from dataclasses import replace

    from bot.digests.figures import FigureJob, find_figures, wants_figures
    from bot.digests.importer import queued_urls
    from bot.digests.records import ImageRef

    file_week, default_week = keys
    queued = queued_urls(engine, entries, file_week=file_week, default_week=default_week)
    jobs = {
        index: FigureJob(
            arxiv_id=e.arxiv_id,
            images=tuple((i.source, i.alt) for i in e.images),
            channels=tuple(channels),
            choice=arxiv.figure,
        )
        for index, e in enumerate(entries)
        if e.arxiv_id and index not in queued
    }
    jobs = {index: job for index, job in jobs.items() if wants_figures(job)}
    outcomes = find_figures(list(jobs.values()), arxiv, policy)
    filled = list(entries)
    warnings: list[str] = []
    for index, outcome in zip(jobs, outcomes, strict=True):
        images = tuple(ImageRef(source, alt) for source, alt in outcome.images)
        filled[index] = replace(entries[index], images=images)
        warnings += outcome.warnings
    return filled, warnings


def import_digest(
    open_engine: Callable[[], Engine],
    request: ImportRequest,
    *,
    environ: Mapping[str, str],
    now: datetime,
    tz: ZoneInfo,
    arxiv: ArxivSettings | None,
    progress: Callable[[int, int], None] | None = None,
    channels: Sequence[str] = ("x",),
    image_policy: ImagePolicy | None = None,
) -> tuple[ImportReport, str]:
    """Import one digest file; returns the report and the name its messages use.

    `arxiv` None never asks arXiv (offline); `image_policy` None takes no figure from it.
    `progress(done, total)` is called as entries are queued; every new entry targets
    `channels`. Any bad row raises ImportFileError (a ValueError) and nothing is written.
    Without arXiv (its answers are cached in the database) the entries are written with the
    database's own driver when it is at head (`environ` names it), and `open_engine` (the ORM,
    which migrates) is called only otherwise.
    """
    from bot.digests.importer import ImportPlan, import_entries, import_entries_directly
    from bot.schedule.weeks import parse_week, week_of

    week_override = parse_week(request.week) if request.week else None
    data, base_dir, name = read_input(request.source)
    kind = detect_format(name, data, request.fmt)
    parsed = parse_digest(kind, data, base_dir, name, week_override)
    entries = list(parsed.entries)
    warnings: list[str] = []
    keys = (week_override or parsed.week, week_of(now, tz))
    fetching = request.fetch_metadata and arxiv is not None
    if fetching and arxiv is not None:
        entries, warnings = enrich(open_engine(), entries, arxiv)
        # Not on a dry run: it checks the file, and arXiv's pace makes figures cost seconds each.
        if image_policy is not None and arxiv.figure != "none" and not request.dry_run:
            entries, figure_warnings = with_figures(
                open_engine(), entries, keys, arxiv, image_policy, channels
            )
            warnings += figure_warnings
    total = len(entries)
    plan = ImportPlan(
        entries,
        file_week=keys[0],
        default_week=keys[1],
        tz=tz,
        channels=tuple(channels),
        dry_run=request.dry_run,
        progress=(lambda done: progress(done, total)) if progress is not None else None,
    )
    report = None if fetching else import_entries_directly(environ, plan)
    if report is None:
        report = import_entries(open_engine(), plan)
    report.skipped = [(s.line, s.title, s.reason) for s in parsed.skipped]
    report.warnings = warnings
    return report, name
