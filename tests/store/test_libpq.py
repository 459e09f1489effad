"""libpq through ctypes (bot/store/libpq.py), the PostgreSQL read path of the read-only commands:
parameters reach the server as the values they are, and rows come back as psycopg gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.store.libpq import LibpqError, PqConnection, load_libpq, numbered
from bot.store.read_pg import pg_conninfo
from tests.conftest import Paperbot

AWKWARD = ["plain", 'a "quoted" one', "back\\slash", "new\nline", "é ✓ 🎉", "", "NULL", "{x,y}"]


def test_placeholders_are_numbered_once_per_name() -> None:
    assert numbered("a = %s AND b = %s AND c LIKE '5%%'", [1, 2]) == (
        "a = $1 AND b = $2 AND c LIKE '5%'",
        [1, 2],
    )
    assert numbered("x = %(c)s OR y = %(c)s LIMIT %(n)s", {"c": "x", "n": 3, "unused": 0}) == (
        "x = $1 OR y = $1 LIMIT $2",
        ["x", 3],
    )


@pytest.mark.parametrize("store", ["postgres"])
def test_values_round_trip_through_the_server(paperbot: Paperbot) -> None:
    lib = load_libpq()
    assert lib is not None  # psycopg[binary] (the postgres extra) bundles it
    conninfo = pg_conninfo(paperbot.env)
    assert conninfo is not None
    connection = PqConnection(lib, conninfo)
    try:
        moment = datetime(2026, 3, 29, 0, 59, 59, 123400, tzinfo=timezone(timedelta(hours=2)))
        connection.script("SET TIME ZONE 'UTC'")
        [row] = connection.rows(
            "SELECT %s::text[] AS texts, %s::int[] AS ints, %s::text AS one, %s::text AS none,"
            " %s::timestamptz AS at, %s::bool AS yes, %s::bigint AS big, '[1, {\"a\": 2.5}]'::json"
            " AS doc, sum(x) AS total FROM (VALUES (1::bigint), (2)) AS v(x)",
            [AWKWARD, [3, None, 5], AWKWARD[4], None, moment, True, 2**62],
            frozenset({"at"}),
        )
        assert row == (
            AWKWARD,
            [3, None, 5],
            AWKWARD[4],
            None,
            moment,
            True,
            2**62,
            [1, {"a": 2.5}],
            3,
        )
        assert row[4].utcoffset() == timedelta(0) and row[4] == moment.astimezone(UTC)
        assert connection.rows("SELECT 1 AS n WHERE FALSE") == []
        with pytest.raises(LibpqError, match="no_such_table"):
            connection.rows("SELECT * FROM no_such_table")
    finally:
        connection.close()
    with pytest.raises(LibpqError):
        PqConnection(lib, conninfo.rsplit("/", 1)[0] + "/no_such_database")


@pytest.mark.parametrize("store", ["postgres"])
def test_named_rows_are_rows_in_the_statements_order(paperbot: Paperbot) -> None:
    """`named_rows` (one JSON array for the whole result) gives what `rows` gives, in the
    statement's ORDER BY, over enough rows that a hash or parallel plan could reorder them."""
    lib = load_libpq()
    assert lib is not None
    conninfo = pg_conninfo(paperbot.env)
    assert conninfo is not None
    connection = PqConnection(lib, conninfo)
    try:
        connection.script("SET TIME ZONE 'UTC'")
        sql = (
            "SELECT n AS id, md5(n::text) AS label, CASE WHEN n % 3 = 0 THEN NULL ELSE"
            " timestamptz '2026-03-29 00:30:00+00' + n * interval '1 minute' END AS at"
            " FROM generate_series(1, 5000) AS n ORDER BY md5(n::text) DESC"
        )
        names, times = ("id", "label", "at"), frozenset({"at"})
        named = connection.named_rows(sql, (), names, times)
        assert named == connection.rows(sql, (), times)
        assert [row[1] for row in named] == sorted((row[1] for row in named), reverse=True)
        assert isinstance(named[1][2] or named[0][2], datetime)
        assert connection.named_rows(sql + " LIMIT 0", (), names, times) == []
    finally:
        connection.close()
