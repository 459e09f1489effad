"""`list --json` written by the database: each entry's JSON text built in SQL, not in Python.

On 100,000 entries `list --week W --json` spent more time turning rows into records, records
into dicts and dicts into JSON than starting up. Here SQLite or PostgreSQL writes each entry's
keys (strings quoted by the database's own JSON quoting, which escapes exactly what Python's
`json.dumps(..., ensure_ascii=False)` escapes: the opening check below proves it on SQLite,
tests/store/test_entry_json.py on both), and Python adds only what the database cannot write as
bot/store/documents.py does: the times in the user's zone (zoneinfo's rules, not the server's)
and the posts (few: bot/store/documents.py's own code). The text is the compact `json.dumps` of
bot/reports/entries.py's documents, byte for byte; data it could not render the same way (an
image that is not an object of strings, a channel that is not a string) gives None and the
caller takes the Python path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    from bot.store.libpq import PqConnection

Heads = tuple[Sequence[Sequence[Any]], Callable[..., Any]]

#: Every character class JSON quoting treats apart (controls, quote, backslash, non-ASCII).
QUOTING_PROBE = "".join(map(chr, range(0x80))) + "\u2028\u2029\ufeff é ✓ 🎉"

# (head, at, middle, next_attempt_at, created_at, updated_at) of one entry; see _assemble.
_SQLITE_IMAGES = (
    "(SELECT '[' || group_concat('{\"source\": ' || json_quote(coalesce("
    "json_extract(value, '$.source'), '')) || ', \"alt\": ' || json_quote(coalesce("
    "json_extract(value, '$.alt'), '')) || '}', ', ') || ']' FROM json_each(entry.images))"
)
_SQLITE_ODD = (
    "json_type(entry.images) != 'array' OR json_type(entry.channels) != 'array'"
    " OR EXISTS (SELECT 1 FROM json_each(entry.images) WHERE type != 'object'"
    " OR coalesce(json_type(value, '$.source'), 'text') != 'text'"
    " OR coalesce(json_type(value, '$.alt'), 'text') != 'text')"
    " OR EXISTS (SELECT 1 FROM json_each(entry.channels) WHERE type != 'text')"
)
SQLITE_HEADS = (
    "SELECT entry.id, '{\"id\": ' || entry.id || ', \"kind\": ' || json_quote(entry.kind)"
    " || ', \"title\": ' || json_quote(entry.title) || ', \"url\": ' || json_quote(entry.url)"
    " || ', \"arxiv_id\": ' || json_quote(entry.arxiv_id)"
    " || ', \"comment\": ' || json_quote(entry.comment)"
    f" || ', \"images\": ' || coalesce({_SQLITE_IMAGES}, '[]')"
    " || ', \"week\": ' || json_quote(entry.week) || ', \"at\": ',"
    " entry.at, ', \"position\": ' || entry.position"
    " || ', \"status\": ' || json_quote(entry.status)"
    " || ', \"channels\": ' || coalesce((SELECT '[' || group_concat(json_quote(value), ', ')"
    " || ']' FROM json_each(entry.channels)), '[]') || ', \"attempts\": ' || entry.attempts"
    " || ', \"last_error\": ' || json_quote(entry.last_error) || ', \"next_attempt_at\": ',"
    f" entry.next_attempt_at, entry.created_at, entry.updated_at, {_SQLITE_ODD}"
    " FROM entry WHERE {where} ORDER BY week, position"
)

_PG_TEXT = "coalesce(to_json({0})::text, 'null')"
_PG_IMAGES = (
    "(SELECT '[' || string_agg('{\"source\": ' || to_json(coalesce(image.value->>'source', ''))"
    "::text || ', \"alt\": ' || to_json(coalesce(image.value->>'alt', ''))::text || '}',"
    " ', ' ORDER BY image.n) || ']' FROM json_array_elements(entry.images)"
    " WITH ORDINALITY AS image(value, n))"
)
_PG_ODD = (
    "EXISTS (SELECT 1 FROM json_array_elements(entry.images) AS image(value)"
    " WHERE json_typeof(image.value) != 'object'"
    " OR coalesce(json_typeof(image.value->'source'), 'string') != 'string'"
    " OR coalesce(json_typeof(image.value->'alt'), 'string') != 'string')"
    " OR EXISTS (SELECT 1 FROM json_array_elements(entry.channels) AS target(value)"
    " WHERE json_typeof(target.value) != 'string')"
)
# One text per row, its fields joined by the unit separator (JSON quoting escapes it, so it
# appears in no field): decoding a row_to_json of texts that are themselves JSON cost PostgreSQL
# and Python more than building them. Times as JSON writes them (ISO 8601, whatever DateStyle).
_PG_FIELDS = (
    "entry.id",
    "'{\"id\": ' || entry.id || ', \"kind\": ' || "
    + _PG_TEXT.format("entry.kind")
    + " || ', \"title\": ' || "
    + _PG_TEXT.format("entry.title")
    + " || ', \"url\": ' || "
    + _PG_TEXT.format("entry.url")
    + " || ', \"arxiv_id\": ' || "
    + _PG_TEXT.format("entry.arxiv_id")
    + " || ', \"comment\": ' || "
    + _PG_TEXT.format("entry.comment")
    + f" || ', \"images\": ' || coalesce({_PG_IMAGES}, '[]')"
    + " || ', \"week\": ' || "
    + _PG_TEXT.format("entry.week")
    + " || ', \"at\": '",
    "to_json(entry.at) #>> '{}'",
    "', \"position\": ' || entry.position || ', \"status\": ' || "
    + _PG_TEXT.format("entry.status")
    + " || ', \"channels\": ' || coalesce((SELECT '[' || string_agg(to_json(target.value #>> '{}')"
    "::text, ', ' ORDER BY target.n) || ']' FROM json_array_elements(entry.channels)"
    " WITH ORDINALITY AS target(value, n)), '[]') || ', \"attempts\": ' || entry.attempts"
    " || ', \"last_error\": ' || "
    + _PG_TEXT.format("entry.last_error")
    + " || ', \"next_attempt_at\": '",
    "to_json(entry.next_attempt_at) #>> '{}'",
    "to_json(entry.created_at) #>> '{}'",
    "to_json(entry.updated_at) #>> '{}'",
    f"CASE WHEN {_PG_ODD} THEN 'odd' ELSE '' END",
)
PG_HEADS = (
    "SELECT concat_ws(chr(31), "
    + ", ".join(f"coalesce(({field})::text, '')" for field in _PG_FIELDS)
    + ") FROM entry WHERE {where} ORDER BY week, position"
)


def sqlite_heads(
    db: sqlite3.Connection,
    week: str | None,
    statuses: Sequence[str],
    moment: Callable[..., Any],
) -> Heads | None:
    """The entries' heads on SQLite (None: this SQLite quotes otherwise, or the JSON is bad)."""
    import sqlite3

    try:
        if not quoting_agrees(db.execute("SELECT json_quote(?)", [QUOTING_PROBE]).fetchone()[0]):
            return None
        clause, params = where(week, statuses, "?")
        return db.execute(SQLITE_HEADS.replace("{where}", clause), params).fetchall(), moment
    except sqlite3.Error:
        return None


def pg_heads(db: PqConnection, week: str | None, statuses: Sequence[str]) -> Heads | None:
    """The entries' heads on PostgreSQL (times already datetimes: the reader converts them)."""
    from bot.store.libpq import LibpqError

    probe = QUOTING_PROBE[1:]  # PostgreSQL text holds no NUL
    try:
        [(quoted,)] = db.rows("SELECT to_json(%s::text)::text AS quoted", [probe])
        if quoted != json.dumps(probe, ensure_ascii=False):
            return None
        clause, params = where(week, statuses, "%s")
        texts = db.texts(PG_HEADS.replace("{where}", clause), params)
    except LibpqError:
        return None
    heads = [text.split("\x1f") for text in texts]
    return [
        (int(h[0]), h[1], h[2] or None, h[3], h[4] or None, h[5], h[6], h[7]) for h in heads
    ], _moment


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def quoting_agrees(quoted: str | None) -> bool:
    """Whether the database quoted QUOTING_PROBE as `json.dumps(..., ensure_ascii=False)` does."""
    return quoted == json.dumps(QUOTING_PROBE, ensure_ascii=False)


def assemble(
    heads: Sequence[Sequence[Any]],
    tz: tzinfo,
    posts: dict[int, str],
    moment: Callable[..., Any],
) -> str | None:
    """The documents' JSON text from the heads (None when a head flags data it cannot render);
    `posts`: each entry's posts as JSON text (absent: none); `moment`: a stored time as an
    aware datetime."""
    if any(head[7] for head in heads):
        return None
    times: dict[Any, str] = {None: "null"}

    def iso(value: Any) -> str:
        text = times.get(value)
        if text is None:
            # As bot/store/documents.py's iso(): digits and separators, nothing to escape.
            text = times[value] = '"' + moment(value).astimezone(tz).isoformat() + '"'
        return text

    return _joined(
        f'{head}{iso(at)}{middle}{iso(retry)}, "created_at": {iso(created)}, "updated_at": '
        f'{iso(updated)}, "posts": {posts.get(entry_id, "[]")}}}'
        for entry_id, head, at, middle, retry, created, updated, _ in heads
    )


def _joined(documents: Iterable[str]) -> str:
    return "[" + ", ".join(documents) + "]"


def where(week: str | None, statuses: Sequence[str], mark: str) -> tuple[str, list[Any]]:
    """The filters of the readers' `entries` (`mark`: the driver's placeholder)."""
    clauses, params = ["1 = 1"], []
    if week:
        clauses.append(f"week = {mark}")
        params.append(week)
    if statuses:
        clauses.append(f"status IN ({', '.join(mark for _ in statuses)})")
        params.extend(statuses)
    return " AND ".join(clauses), params
