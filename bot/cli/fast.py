"""The read-only commands people and scripts call most, answered without click: `list [--week W]
[--status S]... [--json]` (its JSON into a pipe, or its table), `schedule [--days N] [--json]`,
`status [--json]` and `engagement [--week W] [--json]`.

Scripts and cron jobs call `list --json` most, and `list`, `schedule`, `status` and
`engagement` are what a curator looks at; importing click (~25 ms: inspect, uuid, gettext...)
and its group of commands was a fifth of each. Only those exact forms are taken here, and only
the success: argv not known word for word, a config or week that cannot be read, a database the
fast readers do not open, data the database cannot render alike: each returns False before
anything is written, and click's command runs as usual and says what is wrong in its words.
Reading twice is harmless: the commands only read. The output is what the commands print, by
the same code (bot/cli/entry_table.py, schedule_view.py, status_view.py, engagement_view.py) or
the same bytes (listing.py's JSON); tests/cli/test_fast_*.py compare both paths.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.config.settings import Settings
    from bot.store.read_pg import PgReader
    from bot.store.read_records import EntryRecord, PostRecord
    from bot.store.read_sqlite import SqliteReader

    FastReader = SqliteReader | PgReader
    Listed = tuple[Sequence[EntryRecord], dict[int, list[PostRecord]], tzinfo]

Read = TypeVar("Read")


def answer(argv: Sequence[str]) -> bool:
    """Answer `argv` and return True, or return False having done nothing."""
    command = argv[0] if argv else ""
    taken = {"list": _list, "schedule": _schedule, "status": _status, "engagement": _engagement}
    return command in taken and taken[command](argv)


def _read_then_print(
    read: Callable[[Settings, FastReader, datetime], Read | None], show: Callable[[Read], None]
) -> bool:
    """`read` with the settings, a fast reader and the clock, then `show` what it read; False,
    with nothing printed, when the database is not one the fast readers open, or reading fails
    in any way (or gives None): click's path then runs the command and reports it its way."""
    from bot.cli.output import clock
    from bot.store.reader import open_fast_reader

    try:
        environ, settings = _configured()
        reader = open_fast_reader(environ)
        if reader is None:
            return False
        result = read(settings, reader, clock(environ))
    except Exception:
        return False
    if result is None:
        return False
    show(result)
    return True


def _configured() -> tuple[dict[str, str], Settings]:
    """The environment with .env loaded, and the settings: as App has them."""
    from bot.config.loading import load_settings
    from bot.config.secrets import load_dotenv_into

    environ = dict(os.environ)
    load_dotenv_into(environ)
    return environ, load_settings(environ)


def _list(argv: Sequence[str]) -> bool:
    """`list` as bot/cli/listing.py prints it: its table, or its JSON into a pipe."""
    from bot.schedule.weeks import parse_week

    request = list_request(argv)
    if request is None:
        return False
    week, statuses, as_json = request
    if as_json and sys.stdout.isatty():  # emit_json indents for people: click's command does
        return False

    def documents(settings: Settings, reader: FastReader, _: datetime) -> str | None:
        from bot.reports.entries import entry_documents_text

        with reader:
            return entry_documents_text(
                reader, week=parse_week(week) if week else None, statuses=statuses, tz=settings.tz
            )

    def table(settings: Settings, reader: FastReader, _: datetime) -> Listed:
        with reader:
            entries = reader.entries(week=parse_week(week) if week else None, statuses=statuses)
            posts = reader.posts_for([entry.id for entry in entries])
        return entries, posts, settings.tz

    if as_json:
        return _read_then_print(documents, _write_text)
    from bot.cli.entry_table import print_entries

    return _read_then_print(table, lambda read: print_entries(*read))


def _write_text(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # as click does: a closed pipe is exit 1, without a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _schedule(argv: Sequence[str]) -> bool:
    """`schedule` as bot/cli/plans.py runs it."""
    from bot.cli.schedule_view import print_schedule, read_schedule

    request = schedule_request(argv)
    if request is None:
        return False
    days, as_json = request
    return _read_then_print(
        lambda settings, reader, now: (settings, *read_schedule(settings, reader, now, days=days)),
        lambda read: print_schedule(*read, days=days, as_json=as_json),
    )


def _status(argv: Sequence[str]) -> bool:
    """`status [--json]` as bot/cli/plans.py runs it."""
    from bot.cli.output import emit_json
    from bot.cli.status_view import print_status, read_status

    if list(argv) not in (["status"], ["status", "--json"]):
        return False
    return _read_then_print(
        lambda settings, reader, now: read_status(settings, reader, now),
        emit_json if len(argv) == 2 else print_status,
    )


def _engagement(argv: Sequence[str]) -> bool:
    """`engagement` as bot/cli/engagement.py runs it without --refresh."""
    from bot.cli.engagement_view import print_engagement, read_engagement
    from bot.cli.output import emit_json

    request = engagement_request(argv)
    if request is None:
        return False
    week, as_json = request
    return _read_then_print(
        lambda settings, reader, now: read_engagement(reader, week, now, settings.tz),
        emit_json if as_json else print_engagement,
    )


def list_request(argv: Sequence[str]) -> tuple[str, tuple[str, ...], bool] | None:
    """(week, statuses, as_json) of `list ...` in the forms click accepts, else None."""
    from bot.store.reader import ENTRY_STATUSES

    found = _options(argv, "list", values=("--week", "--status"), multiple=("--status",))
    if found is None:
        return None
    statuses = tuple(found.get("--status", ()))
    if not set(statuses) <= set(ENTRY_STATUSES):
        return None
    return (found.get("--week", [""])[0], statuses, "--json" in found)


def schedule_request(argv: Sequence[str]) -> tuple[int, bool] | None:
    """(days, as_json) of `schedule [--days N] [--json]` in the forms click accepts, else None."""
    found = _options(argv, "schedule", values=("--days",))
    if found is None:
        return None
    days = found.get("--days", ["7"])[0]
    if not (days.isascii() and days.isdigit() and 1 <= int(days) <= 60):
        return None  # click's IntRange(1, 60) says what is wrong
    return (int(days), "--json" in found)


def engagement_request(argv: Sequence[str]) -> tuple[str, bool] | None:
    """(week, as_json) of `engagement [--week W] [--json]` (no --refresh: that writes) in the
    forms click accepts, else None; week "" for the current one."""
    found = _options(argv, "engagement", values=("--week",))
    if found is None:
        return None
    return (found.get("--week", [""])[0], "--json" in found)


def _options(
    argv: Sequence[str], command: str, *, values: tuple[str, ...], multiple: tuple[str, ...] = ()
) -> dict[str, list[str]] | None:
    """`command`'s options in argv, by name (`--json` a flag, `values` taking one, `--name
    value` or `--name=value`), if argv is in a form click reads alike; else None. Anything
    unusual (an unknown word, an option repeated that is not in `multiple`, a value that looks
    like an option) is None: click's command then reads it its way."""
    if not argv or argv[0] != command:
        return None
    found: dict[str, list[str]] = {}
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        name, equals, value = word.partition("=")
        if word == "--json":
            value = ""
        elif name not in values:
            return None
        elif not equals:
            if not words or words[0].startswith("-"):
                return None
            value = words.pop(0)
        if name in found and name not in multiple:
            return None
        found.setdefault(name, []).append(value)
    return found
