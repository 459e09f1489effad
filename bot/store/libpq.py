"""libpq itself, through ctypes: how the read-only commands reach PostgreSQL in a few ms.

`import psycopg` costs 130-230 ms (asyncio, importlib.metadata, its type adapters), more than
`list` or `status` spend on their queries. The libpq psycopg[binary] bundles
(psycopg_binary.libs; else the system's libpq.so.5) loads in ~3 ms and speaks the same
protocol with the same conninfo, environment variables, .pgpass, TLS and authentication, since
it is the library psycopg itself drives. Each row comes back as one JSON text built by
PostgreSQL (`row_to_json`), so one foreign call and one C-decoded `json.loads` per row replace a
call per cell; the callers turn the time columns' ISO strings into datetimes.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib.util import find_spec
from typing import Any

_OK = (1, 2)  # PGRES_COMMAND_OK, PGRES_TUPLES_OK
_CONNECTION_OK = 0
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


class LibpqError(RuntimeError):
    """The server or libpq refused: the message is libpq's."""


def _bundled() -> list[str]:
    """The libpq of the psycopg[binary] wheel, if installed: `psycopg_binary.libs` beside the
    package on Linux and Windows, `psycopg_binary/.dylibs` on macOS."""
    spec = find_spec("psycopg_binary")  # finds it without importing it
    if spec is None or not spec.submodule_search_locations:
        return []
    package = next(iter(spec.submodule_search_locations))
    found = []
    for folder in (package + ".libs", os.path.join(package, ".dylibs")):
        try:
            names = sorted(name for name in os.listdir(folder) if name.startswith("libpq"))
        except OSError:
            continue
        found += [os.path.join(folder, name) for name in names]
    return found


def load_libpq() -> ctypes.CDLL | None:
    """libpq with the signatures used here, or None (the caller then takes the ORM's path)."""
    for path in (*_bundled(), "libpq.so.5", "libpq.5.dylib"):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        pointer, text, number = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        for name, result, arguments in (
            ("PQconnectdbParams", pointer, [ctypes.POINTER(text), ctypes.POINTER(text), number]),
            ("PQstatus", number, [pointer]),
            ("PQerrorMessage", text, [pointer]),
            ("PQfinish", None, [pointer]),
            ("PQexec", pointer, [pointer, text]),
            ("PQexecParams", pointer, [pointer, text, number, pointer, pointer, pointer, pointer]),
            ("PQresultStatus", number, [pointer]),
            ("PQresultErrorMessage", text, [pointer]),
            ("PQntuples", number, [pointer]),
            ("PQgetvalue", text, [pointer, number, number]),
            ("PQclear", None, [pointer]),
        ):
            function = getattr(lib, name)
            function.restype, function.argtypes = result, arguments
        return lib
    return None


def _text(value: Any) -> str | None:
    """A parameter in PostgreSQL's text input format (the server infers each one's type)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "{" + ",".join(_element(_text(item)) for item in value) + "}"  # an array literal
    return str(value)


def _element(text: str | None) -> str:
    if text is None:
        return "NULL"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def numbered(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[str, list[Any]]:
    """psycopg's `%s` / `%(name)s` placeholders as libpq's `$1`, `$2`... with their values."""
    values: list[Any] = []
    names: dict[str, int] = {}
    positional = iter(params) if not isinstance(params, Mapping) else iter(())

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name is None:
            values.append(next(positional))
            return f"${len(values)}"
        if name not in names:
            assert isinstance(params, Mapping)
            values.append(params[name])
            names[name] = len(values)
        return f"${names[name]}"

    return _PLACEHOLDER.sub(replace, sql), values


class PqConnection:
    """One libpq connection; `rows` runs one statement and decodes each row's JSON object."""

    def __init__(self, lib: ctypes.CDLL, conninfo: str) -> None:
        self._lib = lib
        # expand_dbname: `dbname` holds the whole URI; the client encoding is ours (UTF-8).
        keywords = (ctypes.c_char_p * 3)(b"dbname", b"client_encoding", None)
        values = (ctypes.c_char_p * 3)(conninfo.encode(), b"UTF8", None)
        self._conn = lib.PQconnectdbParams(keywords, values, 1)
        if not self._conn:
            raise LibpqError("out of memory")
        if lib.PQstatus(self._conn) != _CONNECTION_OK:
            message = self._message()
            self.close()
            raise LibpqError(message)

    def _message(self) -> str:
        return (self._lib.PQerrorMessage(self._conn) or b"").decode("utf-8", "replace").strip()

    def close(self) -> None:
        """Closing ends an open transaction with a rollback (a read-only one loses nothing)."""
        if self._conn:
            self._lib.PQfinish(self._conn)
            self._conn = None

    def __del__(self) -> None:  # as psycopg does: a dropped connection is closed, not leaked
        self.close()

    def _result(self, result: int | None) -> int:
        if not result:
            raise LibpqError(self._message())
        if self._lib.PQresultStatus(result) not in _OK:
            message = (self._lib.PQresultErrorMessage(result) or b"").decode("utf-8", "replace")
            self._lib.PQclear(result)
            raise LibpqError(message.strip())
        return result

    def script(self, sql: str) -> str | None:
        """Statements without parameters in one round trip; the last one's first value."""
        result = self._result(self._lib.PQexec(self._conn, sql.encode()))
        try:
            found = self._lib.PQntuples(result) > 0
            value = self._lib.PQgetvalue(result, 0, 0) if found else None
            return None if value is None else value.decode()
        finally:
            self._lib.PQclear(result)

    def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> int:
        query, values = numbered(sql, params)
        texts = [_text(value) for value in values]
        array = (ctypes.c_char_p * max(len(texts), 1))(
            *(None if text is None else text.encode() for text in texts)
        )
        return self._result(
            self._lib.PQexecParams(
                self._conn, query.encode(), len(texts), None, array, None, None, 0
            )
        )

    def texts(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[str]:
        """The first column of each row as PostgreSQL writes it ('' for NULL): one foreign call
        and no decoding beyond UTF-8 per row."""
        result = self._execute(sql, params)
        try:
            get = self._lib.PQgetvalue
            return [get(result, row, 0).decode() for row in range(self._lib.PQntuples(result))]
        finally:
            self._lib.PQclear(result)

    def rows(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] = (),
        times: frozenset[str] = frozenset(),
    ) -> list[tuple[Any, ...]]:
        """The statement's rows, each value as JSON decodes it but the columns named in `times`
        (timestamptz, ISO 8601 in JSON), which become aware datetimes. Column names must be
        unique: a row is a JSON object."""
        result = self._execute(f"SELECT row_to_json(q)::text FROM ({sql}) AS q", params)
        try:
            get, loads, parse = self._lib.PQgetvalue, json.loads, datetime.fromisoformat
            rows = []
            for row in range(self._lib.PQntuples(result)):
                found = loads(get(result, row, 0))
                rows.append(
                    tuple(
                        parse(value) if value is not None and name in times else value
                        for name, value in found.items()
                    )
                )
            return rows
        finally:
            self._lib.PQclear(result)

    def named_rows(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any],
        names: Sequence[str],
        times: frozenset[str] = frozenset(),
    ) -> list[tuple[Any, ...]]:
        """`rows` for a statement whose columns are `names`, in that order: PostgreSQL writes
        all the rows as one JSON array of arrays, decoded by one `json.loads` (a week of
        `list` on PostgreSQL, 1,923 entries: 22 ms where an object per row took 40).

        The statement's own ORDER BY holds: `json_agg` over a sorted subquery takes the rows in
        that order when the outer query does nothing else (PostgreSQL's manual, "Aggregate
        Functions"); here it only aggregates."""
        values = ", ".join(f'q."{name}"' for name in names)
        sql = f"SELECT coalesce(json_agg(json_build_array({values})), '[]')::text FROM ({sql}) AS q"
        result = self._execute(sql, params)
        try:
            rows = json.loads(self._lib.PQgetvalue(result, 0, 0))
        finally:
            self._lib.PQclear(result)
        at = [index for index, name in enumerate(names) if name in times]
        if not at:
            return [tuple(row) for row in rows]
        parse = datetime.fromisoformat
        for row in rows:
            for index in at:
                if row[index] is not None:
                    row[index] = parse(row[index])
        return [tuple(row) for row in rows]
