"""The libpq reader is taken on PostgreSQL only at head, and refuses what it cannot read
(tests/store/test_read_layer.py compares its documents with the ORM reader's)."""

from __future__ import annotations

import pytest

from bot.store.read_pg import PgReader, open_pg_reader
from bot.store.reader import open_reader
from tests.conftest import Paperbot


@pytest.mark.parametrize("store", ["postgres"])
def test_postgres_takes_the_libpq_reader_only_at_head(paperbot: Paperbot) -> None:
    assert open_pg_reader(paperbot.env) is not None  # the fixture's database is migrated
    with open_reader(paperbot.env, paperbot.engine) as reader:
        assert isinstance(reader, PgReader)
        assert reader.entries(week=None, statuses=()) == []
    paperbot.execute("UPDATE alembic_version SET version_num = '0001_initial'")
    assert open_pg_reader(paperbot.env) is None  # open_reader gives the ORM's, which migrates
    paperbot.execute("DROP TABLE alembic_version")
    assert open_pg_reader(paperbot.env) is None
    missing = paperbot.url.rsplit("/", 1)[0] + "/no_such_database"
    assert open_pg_reader({"PAPERBOT_DATABASE_URL": missing}) is None  # the ORM will say why
    assert open_pg_reader({"PAPERBOT_DATABASE_URL": "sqlite:///paperbot.db"}) is None
