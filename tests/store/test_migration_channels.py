"""Migration 0004 (channels per entry; attempts, backoff and request key per post) keeps every
existing queue and history as it was, on both stores: old entries target `x`, and each post
takes over its entry's attempt count and retry time."""

from __future__ import annotations

from alembic.config import Config

from bot.store.engine import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    current_revision,
    make_engine,
    open_database,
)

ENTRY = (
    "INSERT INTO entry (id, kind, title, url, comment, images, authors, abstract, week, "
    "position, status, attempts, next_attempt_at, last_error, created_at, updated_at) VALUES "
    "({id}, 'paper', 'T{id}', 'https://e.org/{id}', '', '[]', '', '', '2026-W48', {id}, "
    "'{status}', {attempts}, {retry}, {error}, '2026-11-27 00:00:00+00', "
    "'2026-11-27 00:00:00+00')"
)
POST = (
    "INSERT INTO post (entry_id, channel, status, text, media_ids, remote_id, created_at, "
    "updated_at) VALUES ({entry}, '{channel}', '{status}', 't', '[]', {remote}, "
    "'2026-11-27 00:00:00+00', '2026-11-27 00:00:00+00')"
)


def test_0004_keeps_the_queue_and_history_and_moves_backoff_to_the_posts(empty_url: str) -> None:
    from alembic import command

    engine = make_engine(empty_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003_post_decision_needed")
    rows = [
        ENTRY.format(
            id=1, status="queued", attempts=2, retry="'2026-11-27 09:30:00+00'", error="'503'"
        ),
        POST.format(entry=1, channel="x", status="retrying", remote="NULL"),
        POST.format(entry=1, channel="dry-run", status="posted", remote="'dry-1'"),
        ENTRY.format(id=2, status="posted", attempts=1, retry="NULL", error="NULL"),
        POST.format(entry=2, channel="x", status="posted", remote="'1861'"),
        # `retry` ran on a failed entry under the old rules: the entry alone was re-queued.
        ENTRY.format(id=3, status="queued", attempts=0, retry="NULL", error="NULL"),
        POST.format(entry=3, channel="x", status="failed", remote="NULL"),
    ]
    with engine.begin() as connection:
        for sql in rows:
            connection.exec_driver_sql(sql)
    engine.dispose()
    engine = open_database({"PAPERBOT_DATABASE_URL": empty_url})
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        entries = connection.exec_driver_sql(
            "SELECT id, status, channels FROM entry ORDER BY id"
        ).all()
        posts = connection.exec_driver_sql(
            "SELECT entry_id, channel, status, attempts, next_attempt_at, request_key "
            "FROM post ORDER BY entry_id, channel"
        ).all()
    engine.dispose()
    assert [(i, s) for i, s, _ in entries] == [(1, "queued"), (2, "posted"), (3, "queued")]
    assert all(_channels(c) == ["x"] for _, _, c in entries)
    summary = [(e, c, s, a, r is not None, k) for e, c, s, a, r, k in posts]
    assert summary == [
        (1, "dry-run", "posted", 0, False, None),
        (1, "x", "retrying", 2, True, None),
        (2, "x", "posted", 1, False, None),
        (3, "x", "retrying", 0, False, None),
    ]


def _channels(value: object) -> object:
    import json

    return json.loads(value) if isinstance(value, str) else value
