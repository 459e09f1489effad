"""The queue commands through the real CLI on each store (a SQLite file, a PostgreSQL database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.schedule.weeks import week_of
from bot.store.engine import HEAD_REVISION
from tests.conftest import Paperbot


def add(paperbot: Paperbot, *args: str) -> int:
    result = paperbot("add", *args)
    assert result.exit_code == 0, result.output + result.stderr
    return int(result.stdout.strip())


def test_add_canonicalises_arxiv_and_lists_as_queued_this_week(paperbot: Paperbot) -> None:
    entry_id = add(
        paperbot, "https://arxiv.org/pdf/2009.01835v2.pdf", "--comment", "Nice.", "--no-fetch"
    )
    [entry] = paperbot.json("list", "--json")
    assert entry["id"] == entry_id
    assert entry["url"] == "https://arxiv.org/abs/2009.01835"
    assert entry["arxiv_id"] == "2009.01835"
    assert entry["status"] == "queued"
    from zoneinfo import ZoneInfo

    assert entry["week"] == week_of(datetime.now(UTC), ZoneInfo("Europe/London"))
    assert set(entry) >= {
        "id",
        "kind",
        "title",
        "url",
        "arxiv_id",
        "comment",
        "images",
        "week",
        "at",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "posts",
    }
    assert paperbot.json("history", "--json") == []


def test_add_with_images_alt_and_at(paperbot: Paperbot) -> None:
    (paperbot.workdir / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    entry_id = add(
        paperbot,
        "https://example.org/post",
        "--comment",
        "C.",
        "--title",
        "T",
        "--image",
        "fig.png",
        "--alt",
        "Figure 1",
        "--image",
        "https://example.org/f.png",
        "--kind",
        "article",
        "--week",
        "2026-W48",
        "--at",
        "2026-11-30T09:00",
    )
    entry = paperbot.json("show", str(entry_id), "--json")
    assert entry["images"] == [
        {"source": str(paperbot.workdir / "fig.png"), "alt": "Figure 1"},
        {"source": "https://example.org/f.png", "alt": ""},
    ]
    assert entry["kind"] == "article"
    assert entry["week"] == "2026-W48"
    assert entry["at"] == "2026-11-30T09:00:00+00:00"  # Europe/London is UTC+0 in November


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://example.org/x"], "not an http(s) URL"),
        (["https://e.org/a", "--image", "missing.png"], "missing.png"),
        (["https://e.org/a", "--week", "2026-W60"], "2026 has weeks 01 to 53"),
        (["https://e.org/a", "--week", "last week"], "not an ISO week"),
        (["https://e.org/a", "--at", "tomorrow 9am"], "not an ISO 8601 datetime"),
        (
            [
                "https://e.org/a",
                *[arg for i in range(5) for arg in ("--image", f"https://e.org/{i}.png")],
            ],
            "at most 4 images",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    paperbot: Paperbot, args: list[str], message: str
) -> None:
    add(paperbot, "https://example.org/existing", "--comment", "x")
    before = paperbot.dump()
    result = paperbot("add", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert paperbot.dump() == before


def test_duplicate_url_in_same_week_is_refused_naming_the_entry(paperbot: Paperbot) -> None:
    first = add(paperbot, "arXiv:2009.01835", "--week", "2026-W48", "--no-fetch")
    before = paperbot.dump()
    result = paperbot(
        "add", "https://arxiv.org/pdf/2009.01835v1", "--week", "2026-W48", "--no-fetch"
    )
    assert result.exit_code == 2
    assert f"entry {first}" in result.stderr
    assert paperbot.dump() == before
    add(paperbot, "arXiv:2009.01835", "--week", "2026-W49", "--no-fetch")


@pytest.mark.parametrize("command", ["show", "edit", "skip", "retry", "remove"])
def test_unknown_id_exits_2(paperbot: Paperbot, command: str) -> None:
    add(paperbot, "https://example.org/a")
    before = paperbot.dump()
    result = paperbot(command, "999")
    assert result.exit_code == 2
    assert "no entry with id 999" in result.stderr
    assert paperbot.dump() == before


def test_edit_skip_retry_remove(paperbot: Paperbot) -> None:
    entry_id = add(paperbot, "https://example.org/a", "--comment", "old")
    assert paperbot("edit", str(entry_id), "--comment", "new", "--title", "T").exit_code == 0
    entry = paperbot.json("show", str(entry_id), "--json")
    assert (entry["comment"], entry["title"]) == ("new", "T")
    assert paperbot("skip", str(entry_id)).exit_code == 0
    assert paperbot.json("list", "--status", "skipped", "--json")[0]["id"] == entry_id
    assert paperbot.json("list", "--status", "queued", "--json") == []
    assert paperbot("retry", str(entry_id)).exit_code == 0
    assert paperbot.json("show", str(entry_id), "--json")["status"] == "queued"
    assert paperbot("remove", str(entry_id)).exit_code == 0
    assert paperbot.json("list", "--json") == []


def test_posted_entry_cannot_be_edited_or_removed(paperbot: Paperbot) -> None:
    entry_id = add(paperbot, "https://example.org/a", "--comment", "c")
    paperbot.execute("UPDATE entry SET status = 'posted' WHERE id = :id", id=entry_id)
    before = paperbot.dump()
    for command in (
        ["edit", str(entry_id), "--comment", "x"],
        ["remove", str(entry_id)],
        ["skip", str(entry_id)],
    ):
        result = paperbot(*command)
        assert result.exit_code == 2, command
        assert "is posted" in result.stderr
    assert paperbot.dump() == before


def test_list_filters_by_week_and_human_table(paperbot: Paperbot) -> None:
    add(paperbot, "https://example.org/a", "--week", "2026-W47", "--title", "Alpha")
    add(paperbot, "https://example.org/b", "--week", "2026-W48", "--title", "Beta")
    assert [e["title"] for e in paperbot.json("list", "--week", "2026-W48", "--json")] == ["Beta"]
    result = paperbot("list")
    assert result.exit_code == 0
    assert "Alpha" in result.stdout and "Beta" in result.stdout


def test_every_command_has_help_with_an_example(paperbot: Paperbot) -> None:
    from bot.cli import COMMANDS, cli

    for name in COMMANDS:
        result = paperbot(name, "--help")
        assert result.exit_code == 0, name
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.help, name
        if not hasattr(command, "commands"):
            assert "Example" in result.stdout, name


def test_invalid_config_names_file_key_and_reason(paperbot: Paperbot) -> None:
    path = paperbot.write_config('timezone = "Mars/Olympus"\n')
    result = paperbot("list")
    assert result.exit_code == 2
    assert str(path) in result.stderr and "timezone" in result.stderr
    paperbot.write_config('[schedule]\nslotz = ["Mon 09:00"]\n')
    result = paperbot("list")
    assert result.exit_code == 2 and "schedule.slotz" in result.stderr
    paperbot.write_config('[schedule]\nslots = ["Mon 25:00"]\n')
    result = paperbot("list")
    assert result.exit_code == 2 and "schedule.slots" in result.stderr
    if paperbot.store == "sqlite":
        assert not paperbot.db_path.exists()


def test_dotenv_is_read_but_real_environment_wins(paperbot: Paperbot) -> None:
    from bot.config.secrets import load_dotenv_into

    (paperbot.workdir / ".env").write_text("X_API_KEY=from-file\nOTHER=file\n")
    environ = {"X_API_KEY": "from-env"}
    load_dotenv_into(environ, paperbot.workdir / ".env")
    assert environ == {"X_API_KEY": "from-env", "OTHER": "file"}


def test_db_upgrade_command(paperbot: Paperbot) -> None:
    result = paperbot("db", "upgrade")
    assert result.exit_code == 0
    assert HEAD_REVISION in result.stdout
    result = paperbot("db", "upgrade")
    assert "up to date" in result.stdout


def test_template_that_cannot_fit_is_a_config_error_for_composing_commands(
    paperbot: Paperbot,
) -> None:
    add(paperbot, "https://example.org/a", "--comment", "c")
    paperbot.write_config(
        'timezone = "UTC"\n[compose]\ntemplate = "{sentence} {url} ' + "x" * 300 + '"\n'
    )
    for command in (["preview"], ["run", "--once", "--dry-run"], ["post", "1", "--dry-run"]):
        result = paperbot(*command)
        assert result.exit_code == 2, command
        assert "compose.template" in result.stderr
    assert paperbot.json("history", "--json") == []


def test_post_hands_the_entry_to_a_running_daemon_instead_of_racing_it(
    paperbot: Paperbot,
) -> None:
    from datetime import timedelta

    from bot.store import lease

    entry_id = add(paperbot, "https://example.org/a", "--comment", "c", "--at", "2030-01-01T09:00")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    held = lease.acquire(paperbot.engine(), now=now, owner="h:42:x")  # a daemon on host h
    result = paperbot("post", str(entry_id), PAPERBOT_NOW=now.isoformat())
    assert result.exit_code == 0, result.stderr
    assert "pid" in result.stdout and "due now" in result.stdout
    entry = paperbot.json("show", str(entry_id), "--json")
    assert entry["at"] == "2026-11-30T09:00:00+00:00"
    assert entry["status"] == "queued" and entry["posts"] == []
    # A second daemon is refused while the first one holds the lock, however old its heartbeat.
    later = (now + timedelta(days=1)).isoformat()
    result = paperbot("run", "--dry-run", PAPERBOT_NOW=later)
    assert result.exit_code == 1
    assert "another paperbot daemon is running on this database (pid 42 on h)" in result.stderr
    assert "--standby" in result.stderr
    held.lock.release()


def test_fast_list_json_is_the_same_document_as_the_orm_path(paperbot: Paperbot) -> None:
    from zoneinfo import ZoneInfo

    from bot.store.documents import entry_to_json
    from bot.store.engine import session_scope
    from bot.store.queue import attempts_for, list_entries, posts_for

    (paperbot.workdir / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    first = add(
        paperbot,
        "https://example.org/a",
        "--comment",
        "Café 中文 🐦‍🔥.",
        "--image",
        "fig.png",
        "--alt",
        "Figure",
        "--week",
        "2026-W48",
        "--at",
        "2026-11-30T09:00",
    )
    add(paperbot, "arXiv:2009.01835", "--week", "2026-W48", "--no-fetch")
    add(paperbot, "https://example.org/c", "--week", "2026-W47")
    assert paperbot("post", str(first), "--dry-run").exit_code == 0
    assert paperbot("skip", "3").exit_code == 0
    tz = ZoneInfo("Europe/London")
    for args, week, statuses in (
        ([], None, ()),
        (["--week", "2026-W48"], "2026-W48", ()),
        (["--status", "skipped"], None, ("skipped",)),
    ):
        fast = paperbot.json("list", "--json", *args)
        with session_scope(paperbot.engine()) as session:
            entries = list_entries(session=session, week=week, statuses=statuses)
            posts = posts_for(session=session, entry_ids=[e.id for e in entries if e.id])
            post_ids = [p.id for found in posts.values() for p in found if p.id]
            attempts = attempts_for(session=session, post_ids=post_ids)
            slow = [entry_to_json(e, tz, posts.get(e.id or 0, []), attempts) for e in entries]
        assert fast == json.loads(json.dumps(slow, ensure_ascii=False))
    listed = paperbot.json("list", "--json")
    assert [bool(e["posts"]) for e in listed] == [False, True, False]
    # The real attempts, as `show` gives them (not always []).
    [post] = listed[1]["posts"]
    assert [a["outcome"] for a in post["attempts"]] == ["posted"]
    assert post["attempts"] == paperbot.json("show", str(first), "--json")["posts"][0]["attempts"]


def test_add_keeps_url_fragments_and_arxiv_links_still_lose_theirs(paperbot: Paperbot) -> None:
    first = add(paperbot, "https://blog.example.org/series#part-1", "--comment", "One.")
    second = add(paperbot, "https://blog.example.org/series#part-2", "--comment", "Two.")
    paper = add(paperbot, "https://arxiv.org/abs/2009.01835v2#S3", "--no-fetch")
    urls = {entry["id"]: entry["url"] for entry in paperbot.json("list", "--json")}
    assert urls == {
        first: "https://blog.example.org/series#part-1",
        second: "https://blog.example.org/series#part-2",
        paper: "https://arxiv.org/abs/2009.01835",
    }
    again = paperbot("add", "https://blog.example.org/series#part-2")
    assert again.exit_code == 2 and f"as entry {second}" in again.stderr
    preview = paperbot.json("preview", str(second), "--json")
    assert "https://blog.example.org/series#part-2" in preview[0]["text"]


def test_post_on_an_entry_the_daemon_is_posting_says_so(paperbot: Paperbot) -> None:
    from bot.store import lease
    from bot.store.engine import session_scope
    from bot.store.models import Entry
    from bot.store.post_state import begin_attempt

    entry_id = add(
        paperbot,
        "https://example.org/a",
        "--channel",
        "x",
        "--channel",
        "bluesky",
        "--at",
        "2030-01-01T09:00",
    )
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    engine = paperbot.engine()
    held = lease.acquire(engine, now=now, owner="h:42:x")  # a daemon on host h ...
    with session_scope(engine) as session:  # ... sending the entry on X right now
        entry = session.get(Entry, entry_id)
        assert entry is not None
        begin_attempt(session=session, entry=entry, channel="x", text="t", now=now)
    result = paperbot("post", str(entry_id), PAPERBOT_NOW=now.isoformat())
    assert result.exit_code == 0, result.stderr
    assert f"(pid 42 on h) is posting entry {entry_id} on x right now" in result.stdout
    shown = paperbot.json("show", str(entry_id), "--json")
    assert shown["status"] == "posting" and shown["at"] == "2026-11-30T09:00:00+00:00"

    # Its outcome lost and not to be looked up: the daemon will not send it, resolve must.
    paperbot.execute("UPDATE post SET decision_needed_at = :now", now=now)
    before = paperbot.dump()
    result = paperbot("post", str(entry_id), PAPERBOT_NOW=now.isoformat())
    assert result.exit_code == 2
    assert f"entry {entry_id} awaits a decision on x" in result.stderr
    assert f"paperbot resolve {entry_id} --channel x" in result.stderr
    assert "cannot be edited" not in result.stderr
    assert paperbot.dump() == before
    held.lock.release()
    engine.dispose()


def test_a_dry_run_post_is_stamped_by_the_pinned_clock(paperbot: Paperbot) -> None:
    entry_id = add(paperbot, "https://example.org/dry", "--comment", "A rehearsal.")
    pinned = "2026-11-30T09:00:00+00:00"
    result = paperbot("post", str(entry_id), "--dry-run", PAPERBOT_NOW=pinned)
    assert result.exit_code == 0, result.stderr
    [post] = paperbot.json("show", str(entry_id), "--json")["posts"]
    assert (post["channel"], post["posted_at"]) == ("dry-run", pinned)
