"""`paperbot list [--week W] [--status S]... --json` into a pipe, answered without click.

Scripts and cron jobs call it most, and importing click (~25 ms: inspect, uuid, gettext...) was
a fifth of its time on 100,000 entries. Only that exact form is taken here, and only the success:
argv it does not know word for word, a terminal (indented output), a config or week it cannot
read, a database the fast readers do not open, data the database cannot render alike: each
returns False before anything is written, and click's command runs as usual and says what is
wrong in its words. Reading twice is harmless: the command only reads. The text is the same
bytes as bot/cli/listing.py's (tests/cli/test_fast_list.py compares both paths).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def answer(argv: Sequence[str]) -> bool:
    """Print `list --json`'s document and return True, or return False having done nothing."""
    request = list_request(argv)
    if request is None or sys.stdout.isatty():
        return False
    try:
        text = _documents(*request)
    except Exception:  # any failure: click's path runs the command and reports it its way
        return False
    if text is None:
        return False
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # as click does: a closed pipe is exit 1, without a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    return True


def list_request(argv: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """(week, statuses) of `list ... --json` in the forms click accepts, else None."""
    if not argv or argv[0] != "list":
        return None
    from bot.store.reader import ENTRY_STATUSES

    week: str | None = None
    statuses: list[str] = []
    as_json = False
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        if word == "--json":
            as_json = True
            continue
        name, equals, value = word.partition("=")
        if name not in ("--week", "--status"):
            return None
        if not equals:
            if not words or words[0].startswith("-"):
                return None
            value = words.pop(0)
        if name == "--week":
            if week is not None:
                return None
            week = value
        elif value in ENTRY_STATUSES:
            statuses.append(value)
        else:
            return None
    return (week or "", tuple(statuses)) if as_json else None


def _documents(week: str, statuses: tuple[str, ...]) -> str | None:
    """As `list_` with App: .env, settings, the week, the reader (never the ORM here)."""
    from bot.config.loading import load_settings
    from bot.config.secrets import load_dotenv_into
    from bot.reports.entries import entry_documents_text
    from bot.schedule.weeks import parse_week
    from bot.store.reader import open_fast_reader

    environ = dict(os.environ)
    load_dotenv_into(environ)
    settings = load_settings(environ)
    the_week = parse_week(week) if week else None
    reader = open_fast_reader(environ)
    if reader is None:
        return None
    with reader:
        return entry_documents_text(reader, week=the_week, statuses=statuses, tz=settings.tz)
