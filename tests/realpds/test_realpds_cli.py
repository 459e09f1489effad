"""The real CLI on a real SQLite store, posting to the official PDS.

``paperbot add`` with figures, then ``paperbot run --once`` as cron would start it: what the
repository holds afterwards, how many logins the runs needed, and a lost answer settled by the
next run without a second post.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from tests.conftest import Paperbot
from tests.realpds.figures import chart, embedded_images
from tests.realpds.harness import Account, RealPds
from tests.realpds.proxy import Seen

pytestmark = [pytest.mark.realpds, pytest.mark.timeout(2400)]

CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["bluesky"]

[schedule]
jitter_minutes = 0
"""
CREATE = "com.atproto.repo.createRecord"
LOGIN = "com.atproto.server.createSession"


class Cron:
    """paperbot's CLI with the account's credentials and a clock the test moves."""

    def __init__(self, paperbot: Paperbot, pds: RealPds, account: Account) -> None:
        self.paperbot = paperbot
        self.pds = pds
        self.account = account
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.outputs: list[str] = []
        paperbot.write_config(CONFIG)

    def __call__(self, *args: str, code: int | None = 0) -> str:
        result = self.paperbot(
            *args,
            BLUESKY_HANDLE=self.account.handle,
            BLUESKY_APP_PASSWORD=self.account.app_password,
            BLUESKY_SERVICE=self.pds.url,
            PAPERBOT_NOW=self.now.isoformat(),
        )
        self.outputs += [result.stdout, result.stderr]
        if code is not None:
            assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.stdout

    def add(self, n: int, figures: int = 0) -> int:
        args = ["add", f"https://arxiv.org/abs/2401.0000{n}", "--no-fetch"]
        args += ["--title", f"Paper {n}", "--comment", f"Finding {n} holds up. More below."]
        args += ["--at", (self.now - timedelta(minutes=30)).isoformat()]
        for k in range(figures):
            path = self.paperbot.workdir / f"fig-{n}-{k}.png"
            path.write_bytes(chart(480 + 40 * k, 320))
            args += ["--image", str(path), "--alt", f"Figure {k + 1} of paper {n}: bars."]
        return int(self(*args).strip())

    def entry(self, entry_id: int) -> Any:
        return json.loads(self("show", str(entry_id), "--json"))

    def requests(self, xrpc: str) -> list[Seen]:
        """This account's requests to ``xrpc`` that crossed the proxy (all tests share it)."""
        mine = (self.account.did.encode(), self.account.handle.encode())
        return [
            seen
            for seen in self.pds.proxy.seen(xrpc)
            if any(who in seen.body or who in unquote(seen.path).encode() for who in mine)
        ]

    def logins(self) -> int:
        return len(self.requests(LOGIN))


@pytest.fixture
def store() -> str:
    """This tier runs on SQLite only: the PDS, not the store, is what it tests."""
    return "sqlite"


@pytest.fixture
def cron(paperbot: Paperbot, pds: RealPds, account: Account) -> Iterator[Cron]:
    yield Cron(paperbot, pds, account)


def test_runs_post_figures_with_alt_text_and_log_in_once(cron: Cron, pds: RealPds) -> None:
    first = cron.add(1, figures=2)
    cron("run", "--once")
    second = cron.add(2)
    cron.now += timedelta(hours=1)
    cron("run", "--once")

    records = {record["uri"]: record["value"] for record in pds.records(cron.account)}
    posted = {}
    for entry_id in (first, second):
        entry = cron.entry(entry_id)
        assert entry["status"] == "posted", entry
        [post] = entry["posts"]
        assert post["channel"] == "bluesky" and post["remote_id"] in records
        posted[entry_id] = records[post["remote_id"]]
    assert len(records) == 2
    images = embedded_images(posted[first])
    assert [image["alt"] for image in images] == [
        "Figure 1 of paper 1: bars.",
        "Figure 2 of paper 1: bars.",
    ]
    assert [image["aspectRatio"]["width"] for image in images] == [480, 520]
    assert "https://arxiv.org/abs/2401.00001" in json.dumps(posted[first]["facets"])
    # Two runs and a check, one login: each used the session the first run kept.
    assert f"@{cron.account.handle}" in cron("check")
    assert cron.logins() == 1
    session_file = cron.paperbot.workdir / "paperbot.db.bluesky-session"
    assert session_file.stat().st_mode & 0o077 == 0
    everything = "\n".join(cron.outputs) + repr(cron.paperbot.dump())
    assert cron.account.app_password not in everything


def test_a_lost_answer_is_settled_by_the_next_run_without_a_second_post(
    cron: Cron, pds: RealPds
) -> None:
    entry_id = cron.add(3, figures=1)
    pds.proxy.lose_answer(CREATE)
    cron("run", "--once", code=None)  # (the exit code of an unknown outcome is not this tier's)
    assert len(pds.records(cron.account)) == 1  # the post was made; its answer never came
    # Settled by a lookup in this run or in the next one: either way never sent again.

    cron.now += timedelta(minutes=5)
    cron("run", "--once")
    entry = cron.entry(entry_id)
    assert entry["status"] == "posted", entry
    [record] = pds.records(cron.account)
    assert entry["posts"][0]["remote_id"] == record["uri"]
    # Settled by asking for the record, not by sending it again.
    assert len(cron.requests(CREATE)) == 1
    key = record["uri"].rsplit("/", 1)[-1]
    assert any(key in seen.path for seen in cron.requests("com.atproto.repo.getRecord"))
