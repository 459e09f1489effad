"""Read entries from CSV (and, in bot/digests/json_digest.py, JSON): for curators who keep their
reading list in a spreadsheet. This module holds the row checks both formats share.

Both formats have the same fields — ``url`` (required), ``title``, ``comment``, ``image``,
``alt``, ``kind``, ``week``, ``at`` — and are checked the same way. Unknown columns or keys
are errors rather than ignored, because a misspelt ``coment`` column silently dropping every
comment is worse than a refusal. Every problem is reported with its CSV line (the physical
line, so multi-line quoted cells do not shift the count) or JSON item number and its field.

Images: ``image`` holds up to four paths or URLs separated by ``|``, with ``alt`` split the
same way; in JSON ``images`` may instead be a list of ``{"source", "alt"}`` objects (or of
strings). Relative paths are resolved against ``base_dir``; unlike a downloaded digest, a
spreadsheet is the user's own, so absolute paths anywhere are accepted.

Week precedence: ``week_override`` (the user's ``--week``) beats the row's ``week``, which
beats a JSON file's top-level ``week``; without any, the entry's week is None and the caller
applies the current week. ``at`` without a UTC offset is returned naive: the caller applies
the configured time zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from bot.digests.records import (
    MAX_IMAGES,
    ErrorList,
    ImageRef,
    ImportedEntry,
    ParsedImport,
    Skipped,
    check_text_size,
    decode_text,
    drop_duplicates,
    normalize_comment,
    normalize_title,
    parse_kind,
    resolve_image,
)
from bot.schedule.weeks import parse_local_datetime, parse_week
from bot.text.urls import InvalidURL, canonicalize

T = TypeVar("T")
D = TypeVar("D")

FIELDS = ("url", "title", "comment", "image", "alt", "kind", "week", "at")


@dataclass
class Row:
    """One CSV row or JSON item, already as strings (images possibly pre-split)."""

    number: int
    values: dict[str, str]
    images: list[tuple[str, str]] | None = None  # JSON "images": (source, alt) pairs


class RowReader:
    """Turns rows into entries, collecting errors; shared by the CSV and JSON front ends."""

    def __init__(
        self,
        *,
        base_dir: Path,
        errors: ErrorList,
        unit: Literal["line", "item"],
        week_override: str | None,
        file_week: str | None,
        check_images: bool,
    ) -> None:
        self.base_dir = base_dir
        self.errors = errors
        self.unit: Literal["line", "item"] = unit
        self.week_override = week_override
        self.file_week = file_week
        self.check_images = check_images

    def error(self, number: int | None, field: str | None, reason: str) -> None:
        self.errors.add(number, field, reason, self.unit)

    def entry(self, row: Row) -> ImportedEntry | None:
        before = len(self.errors.errors)
        values = row.values
        url, arxiv_id = "", None
        raw_url = values.get("url", "").strip()
        if not raw_url:
            self.error(row.number, "url", "missing (every entry needs a URL)")
        else:
            try:
                canonical = canonicalize(raw_url)
                url, arxiv_id = canonical.url, canonical.arxiv_id
            except InvalidURL as exc:
                self.error(row.number, "url", str(exc))
        kind = self._checked(row, "kind", parse_kind, default="paper")
        week = self._checked(row, "week", parse_week, default=None)
        at = self._checked(row, "at", parse_local_datetime, default=None)
        images = self._images(row)
        if len(self.errors.errors) > before:
            return None
        return ImportedEntry(
            kind=kind or "paper",
            title=normalize_title(values.get("title", "")),
            url=url,
            arxiv_id=arxiv_id,
            comment=normalize_comment(values.get("comment", "")),
            images=images,
            week=self.week_override or week or self.file_week,
            at=at,
            line=row.number,
        )

    def _checked(self, row: Row, name: str, parse: Callable[[str], T], default: D) -> T | D:
        raw = row.values.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            self.error(row.number, name, str(exc))
            return default

    def _images(self, row: Row) -> tuple[ImageRef, ...]:
        pairs = row.images
        if pairs is None:
            sources = [s.strip() for s in row.values.get("image", "").split("|")]
            alts = [a.strip() for a in row.values.get("alt", "").split("|")]
            if sources == [""]:
                sources = []
            if alts == [""]:
                alts = []
            if len(alts) > len(sources):
                self.error(row.number, "alt", f"{len(alts)} alt texts for {len(sources)} images")
                return ()
            pairs = [(s, alts[i] if i < len(alts) else "") for i, s in enumerate(sources)]
        field = "images" if row.images is not None else "image"
        if len(pairs) > MAX_IMAGES:
            self.error(row.number, field, f"{len(pairs)} images; X takes at most {MAX_IMAGES}")
            return ()
        images = []
        for source, alt in pairs:
            try:
                resolved = resolve_image(
                    source, base_dir=self.base_dir, confine=False, check=self.check_images
                )
            except ValueError as exc:
                self.error(row.number, field, str(exc))
                continue
            images.append(ImageRef(resolved, normalize_title(alt)))
        return tuple(images)


def finish_rows(
    reader: RowReader, rows: Iterator[Row], *, file_week: str | None, unit: str
) -> ParsedImport:
    entries = [entry for row in rows if (entry := reader.entry(row)) is not None]
    if not entries and not reader.errors.errors:
        reader.errors.add(None, None, "no entries found")
    reader.errors.raise_if_any()
    skipped: list[Skipped] = []
    kept = drop_duplicates(entries, skipped, unit=unit)
    return ParsedImport(
        week=reader.week_override or file_week, entries=kept, skipped=tuple(skipped)
    )


def week_override_of(week_override: str | None, errors: ErrorList) -> str | None:
    if week_override is None:
        return None
    try:
        return parse_week(week_override)
    except ValueError as exc:
        errors.add(None, "week", str(exc))
        return None


# -- CSV -------------------------------------------------------------------------------------


def parse_csv(
    text: str,
    *,
    base_dir: Path,
    source_name: str = "<stdin>",
    week_override: str | None = None,
    check_images: bool = True,
) -> ParsedImport:
    """Read a CSV file with a header row; raise ImportFileError listing every problem."""
    errors = ErrorList(source_name)
    check_text_size(text, source_name=source_name)
    override = week_override_of(week_override, errors)
    reader = RowReader(
        base_dir=base_dir,
        errors=errors,
        unit="line",
        week_override=override,
        file_week=None,
        check_images=check_images,
    )
    return finish_rows(reader, _csv_rows(text, errors), file_week=None, unit="line")


def _csv_rows(text: str, errors: ErrorList) -> Iterator[Row]:
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header: list[str] | None = None
        end = 0
        for cells in rows:
            start, end = end + 1, rows.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _csv_header(cells, start, errors)
                if header is None:
                    return
                continue
            if len(cells) > len(header):
                extra = len(cells) - len(header)
                errors.add(start, None, f"{extra} more cell(s) than the header has columns")
                continue
            yield Row(start, dict(zip(header, cells, strict=False)))
    except csv.Error as exc:
        errors.add(rows.line_num, None, f"not valid CSV: {exc}")


def _csv_header(cells: list[str], line: int, errors: ErrorList) -> list[str] | None:
    names = [cell.strip().lower() for cell in cells]
    unknown = [name for name in names if name not in FIELDS]
    for name in unknown:
        expected = ", ".join(FIELDS)
        errors.add(line, name or "(empty)", f"unknown column (expected some of: {expected})")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    for name in duplicates:
        errors.add(line, name, "the column appears more than once")
    if "url" not in names:
        errors.add(line, "url", "the header has no 'url' column")
    return None if unknown or duplicates or "url" not in names else names


# -- bytes -----------------------------------------------------------------------------------


def from_bytes(parse: Callable[..., ParsedImport]) -> Callable[..., ParsedImport]:
    """`parse` for raw file contents: size and UTF-8 are checked first (decode_text)."""

    def parse_bytes(
        data: bytes,
        *,
        base_dir: Path,
        source_name: str = "<stdin>",
        week_override: str | None = None,
        check_images: bool = True,
    ) -> ParsedImport:
        return parse(
            decode_text(data, source_name=source_name),
            base_dir=base_dir,
            source_name=source_name,
            week_override=week_override,
            check_images=check_images,
        )

    parse_bytes.__name__ = f"{parse.__name__}_bytes"
    parse_bytes.__doc__ = f"{parse.__name__} for raw file contents: checks size and UTF-8 first."
    return parse_bytes


parse_csv_bytes = from_bytes(parse_csv)
