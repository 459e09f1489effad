"""What the importers hand to the rest of paperbot, and the checks they all share.

The importers are pure: they turn a file's text into records and never touch the database, so
the CLI can show every problem of a file at once and write nothing unless the whole file is
good (``import`` is all-or-nothing). That is why errors are *collected* into one
``ImportFileError`` instead of raised at the first bad line.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal

KINDS = ("paper", "article", "application")
MAX_IMAGES = 4
MAX_IMPORT_BYTES = 10 * 1024 * 1024
"""Import files above this size are refused before decoding: a weekly digest is a few kB, so a
bigger file is a mistake (a wrong path, a binary) and parsing it would only waste time."""


@dataclass(frozen=True)
class ImageRef:
    """An image to attach. ``source`` is an absolute local path or an http(s) URL."""

    source: str
    alt: str = ""


@dataclass(frozen=True)
class ImportedEntry:
    """One entry read from a file, ready for the queue.

    ``title`` may be empty (CSV/JSON rows without one): the caller fills it from arXiv.
    ``week`` is None when neither the file nor the caller named one: the caller applies the
    current week. ``at`` is naive when the file gave no UTC offset: the caller applies the
    configured time zone (the importer cannot know it). ``line`` is the 1-based line of the
    Markdown heading or CSV row, or the 1-based item number in a JSON file.
    """

    kind: str
    title: str
    url: str
    arxiv_id: str | None
    comment: str
    images: tuple[ImageRef, ...]
    week: str | None
    at: datetime | None
    line: int


@dataclass(frozen=True)
class Skipped:
    """Something that looked like an entry but is not imported, with the reason to show."""

    line: int
    title: str
    reason: str


@dataclass(frozen=True)
class ParsedImport:
    """A whole file's worth: the entries in file order and what was skipped, and why."""

    week: str | None
    entries: tuple[ImportedEntry, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class FieldError:
    """One problem in a file. ``line`` is None for problems of the file as a whole.

    ``unit`` says what ``line`` counts: physical lines, or items of a JSON list.
    """

    line: int | None
    field: str | None
    reason: str
    unit: Literal["line", "item"] = "line"

    def format(self, source_name: str) -> str:
        """``FILE:LINE: field 'x': reason`` — the shape editors and CI logs can jump to."""
        where = source_name
        if self.line is not None:
            where += f":{self.line}" if self.unit == "line" else f":item {self.line}"
        what = f"field {self.field!r}: " if self.field else ""  # repr: one line, whatever it is
        return f"{where}: {what}{self.reason}"


class ImportFileError(ValueError):
    """A file that cannot be imported, with every problem found in it (``errors``).

    ``line`` and ``field`` are those of the first problem, for callers that show only one.
    ``str()`` of a single problem is its ``FILE:LINE: field 'x': reason`` line; with several,
    a summary line comes first and then one line per problem.
    """

    def __init__(self, source_name: str, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("ImportFileError needs at least one error")
        self.source_name = source_name
        self.errors: list[FieldError] = list(errors)
        self.line = self.errors[0].line
        self.field = self.errors[0].field
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [error.format(self.source_name) for error in self.errors]
        if len(lines) == 1:
            return lines[0]
        return "\n".join([f"{self.source_name}: {len(lines)} errors, nothing imported", *lines])


class ErrorList:
    """Collects FieldErrors while parsing and raises them together at the end."""

    def __init__(self, source_name: str) -> None:
        self.source_name = source_name
        self.errors: list[FieldError] = []

    def add(
        self,
        line: int | None,
        field: str | None,
        reason: str,
        unit: Literal["line", "item"] = "line",
    ) -> None:
        self.errors.append(FieldError(line, field, reason, unit))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportFileError(self.source_name, self.errors)


# -- bytes -> text ---------------------------------------------------------------------------


def _too_large(source_name: str, size: str) -> ImportFileError:
    limit = MAX_IMPORT_BYTES // (1024 * 1024)
    return ImportFileError(
        source_name,
        [FieldError(None, None, f"file too large ({size}; the limit is {limit} MB)")],
    )


def read_limited(stream: BinaryIO, *, source_name: str, limit: int = MAX_IMPORT_BYTES) -> bytes:
    """Read a file or stdin, but never more than ``limit`` + 1 bytes.

    The CLI should read import files through this so that a 50 MB mistake fails at once,
    without loading it into memory.
    """
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(source_name, f"more than {limit} bytes")
    return data


def decode_text(data: bytes, *, source_name: str) -> str:
    """UTF-8 (a BOM is fine) to text, refusing oversized, binary and mis-encoded files.

    The error names the first bad byte and where it is, because "not UTF-8" alone leaves the
    user guessing whether the file is Latin-1, UTF-16 or not text at all.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large(source_name, f"{len(data)} bytes")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    bad: int | None = data.find(b"\x00", bom)
    if bad == -1:
        bad = None
    text = ""
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        bad = offset if bad is None else min(bad, offset)
    if bad is None:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    line = data.count(b"\n", 0, bad) + 1
    reason = f"not UTF-8 text (byte 0x{data[bad]:02x} at offset {bad})"
    raise ImportFileError(source_name, [FieldError(line, None, reason)])


def check_text_size(text: str, *, source_name: str) -> None:
    """Apply the byte limit to text that was decoded elsewhere (e.g. by a test or stdin)."""
    if len(text) * 4 <= MAX_IMPORT_BYTES:
        return  # even all four-byte characters would fit
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_IMPORT_BYTES:
        raise _too_large(source_name, f"{size} bytes")


# -- field checks ----------------------------------------------------------------------------


def parse_kind(text: str) -> str:
    kind = text.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"{text!r} is not one of {', '.join(KINDS)}")
    return kind


def normalize_title(text: str) -> str:
    """One line, single spaces: titles end up in headings and posts, where breaks do harm."""
    return " ".join(text.split())


def normalize_comment(text: str) -> str:
    """Lines trimmed, runs of blank lines made one, no blank lines at the ends.

    Every importer and the digest renderer apply this, so a comment survives a round trip
    through a digest unchanged.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


@functools.lru_cache(maxsize=64)
def _real_dir(path: str) -> str:
    """realpath of an import's folder, once per import rather than once per image."""
    return os.path.realpath(path)


_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:")
_DRIVE = re.compile(r"^[a-z]:[\\/]")


def resolve_image(raw: str, *, base_dir: Path, confine: bool, check: bool) -> str:
    """An image reference as an absolute path (or the http(s) URL as is); ValueError if bad.

    ``confine`` refuses paths outside ``base_dir``: a digest downloaded from someone else
    must not be able to make paperbot upload, say, ``~/.ssh/id_rsa.png`` or ``../../secret``.
    Symlinks are resolved first, so a link inside the folder cannot point out of it either.
    A missing file whose name has %-escapes (Markdown editors write spaces as ``%20``) is also
    looked for under its unescaped name.
    """
    source = raw.strip()
    if not source:
        raise ValueError("empty image path")
    lowered = source.lower()
    if lowered.startswith(("http://", "https://")):
        return source
    if _SCHEME.match(lowered) and not _DRIVE.match(lowered):
        raise ValueError(f"{source!r}: an image must be a local path or an http(s) URL")
    base = _real_dir(os.fspath(base_dir))
    candidates = [source]
    if "%" in source:
        from urllib.parse import unquote

        if unquote(source) != source:
            candidates.append(unquote(source))
    for candidate in candidates:
        path = os.path.realpath(os.path.join(base, os.path.expanduser(candidate)))
        if confine and path != base and not path.startswith(base.rstrip(os.sep) + os.sep):
            raise ValueError(f"{source!r} is outside the digest's folder ({base})")
        if not check or os.path.isfile(path):
            return path
    path = os.path.realpath(os.path.join(base, os.path.expanduser(source)))
    reason = "is not a file" if os.path.exists(path) else "does not exist"
    raise ValueError(f"{source!r} {reason} ({path})")


def drop_duplicates(
    entries: Iterable[ImportedEntry], skipped: list[Skipped], *, unit: str = "line"
) -> tuple[ImportedEntry, ...]:
    """Keep the first of entries with the same URL and week; report the others as skipped.

    The queue holds a URL at most once a week, so a repeat inside one file is the same mistake
    as a repeat of something already queued, and is reported the same way.
    """
    seen: dict[tuple[str, str | None], int] = {}
    kept: list[ImportedEntry] = []
    for entry in entries:
        key = (entry.url, entry.week)
        if key in seen:
            reason = f"same URL as {unit} {seen[key]} ({entry.url})"
            skipped.append(Skipped(entry.line, entry.title, reason))
            continue
        seen[key] = entry.line
        kept.append(entry)
    return tuple(kept)
