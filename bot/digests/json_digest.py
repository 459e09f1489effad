"""Read entries from JSON: a list of entry objects, or ``{"entries": [...], "week": ...}``.

The fields and their checks are the CSV ones (bot/digests/tabular.py, whose docstring has the
rules); JSON adds ``images`` as a list of ``{"source", "alt"}`` objects (or of strings) and a
file-level ``week``. Every problem is reported with its item number and field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.digests.records import (
    ErrorList,
    FieldError,
    ImportFileError,
    ParsedImport,
    check_text_size,
)
from bot.digests.tabular import FIELDS, Row, RowReader, finish_rows, from_bytes, week_override_of
from bot.schedule.weeks import parse_week

_JSON_FIELDS = frozenset((*FIELDS, "images"))
_JSON_TOP_KEYS = frozenset(("entries", "week"))


def parse_json(
    text: str,
    *,
    base_dir: Path,
    source_name: str = "<stdin>",
    week_override: str | None = None,
    check_images: bool = True,
) -> ParsedImport:
    """Read a JSON list of entry objects, or ``{"entries": [...], "week": ...}``."""
    errors = ErrorList(source_name)
    check_text_size(text, source_name=source_name)
    override = week_override_of(week_override, errors)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} (column {exc.colno})"
        raise ImportFileError(source_name, [FieldError(exc.lineno, None, reason)]) from None
    except RecursionError:
        reason = "not a list of entries: JSON nested too deeply"
        raise ImportFileError(source_name, [FieldError(None, None, reason)]) from None
    items, file_week = _json_items(document, errors)
    reader = RowReader(
        base_dir=base_dir,
        errors=errors,
        unit="item",
        week_override=override,
        file_week=file_week,
        check_images=check_images,
    )
    rows = (row for n, item in enumerate(items, 1) if (row := _json_row(n, item, errors)))
    return finish_rows(reader, rows, file_week=file_week, unit="item")


def _json_items(document: Any, errors: ErrorList) -> tuple[list[Any], str | None]:
    if isinstance(document, list):
        return document, None
    if not isinstance(document, dict) or "entries" not in document:
        errors.add(None, None, 'expected a list of entries or {"entries": [...]}')
        return [], None
    for key in sorted(set(document) - _JSON_TOP_KEYS):
        errors.add(None, key, 'unknown key (expected "entries" and optionally "week")')
    file_week = None
    if document.get("week") is not None:
        try:
            file_week = parse_week(str(document["week"]))
        except ValueError as exc:
            errors.add(None, "week", str(exc))
    if not isinstance(document["entries"], list):
        errors.add(None, "entries", "must be a list")
        return [], file_week
    return document["entries"], file_week


def _json_row(number: int, item: Any, errors: ErrorList) -> Row | None:
    if not isinstance(item, dict):
        errors.add(number, None, f"expected an object, got {type(item).__name__}", "item")
        return None
    ok = True
    for key in sorted(set(item) - _JSON_FIELDS, key=str):
        errors.add(number, str(key), f"unknown key (expected some of: {', '.join(FIELDS)})", "item")
        ok = False
    values: dict[str, str] = {}
    for key in FIELDS:
        value = item.get(key)
        if value is None:
            continue
        if key == "image" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "|".join(value)
        if key == "alt" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "|".join(value)
        if not isinstance(value, str):
            errors.add(number, key, f"must be a string, got {type(value).__name__}", "item")
            ok = False
            continue
        values[key] = value
    images = None
    if "images" in item:
        if "image" in item or "alt" in item:
            errors.add(number, "images", 'give either "images" or "image"/"alt", not both', "item")
            ok = False
        images = _json_images(number, item["images"], errors)
        ok = ok and images is not None
    return Row(number, values, images) if ok else None


def _json_images(number: int, value: Any, errors: ErrorList) -> list[tuple[str, str]] | None:
    if not isinstance(value, list):
        errors.add(number, "images", "must be a list", "item")
        return None
    pairs: list[tuple[str, str]] = []
    for image in value:
        if isinstance(image, str):
            pairs.append((image, ""))
        elif (
            isinstance(image, Mapping)
            and set(image) <= {"source", "alt"}
            and isinstance(image.get("source"), str)
            and isinstance(image.get("alt", ""), str)
        ):
            pairs.append((image["source"], image.get("alt", "")))
        else:
            reason = 'each image must be a string or {"source": ..., "alt": ...}'
            errors.add(number, "images", reason, "item")
            return None
    return pairs


parse_json_bytes = from_bytes(parse_json)
