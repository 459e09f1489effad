"""What X costs, end to end: the real CLI, a real database (SQLite and PostgreSQL), the fake X
(which bills every successful request, tests/fakes/x_billing.py) and, for the budget and the
arXiv-id citation, the fake Bluesky PDS and Mastodon instance.

The ledger must equal X's own bill to the micro-dollar, whatever happened on the way: figures
with alt text, an answer lost after X made the post (settled from the timeline, whose read is
billed), a 503 before and after the uploads. The fake bills reads by the test's virtual clock,
so "free again the same UTC day" is judged on the same day by both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.store.money import month_bounds
from tests.conftest import Paperbot
from tests.e2e.test_pipeline_channels import BLUESKY_PASSWORD, MASTODON_TOKEN, X_CREDS, Platforms
from tests.e2e.test_pipeline_x import CREDS, Pipeline, fake_for, picture
from tests.fakes.fake_bluesky import FakeBluesky
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.fake_x import FakeX
from tests.fakes.x_model import FaultMode

X_CONFIG = """\
timezone = "UTC"

[schedule]
jitter_minutes = 0

[x]
timeout_seconds = 2
retry_base_seconds = 1
retry_max_seconds = 4
max_attempts = 5

# Not X's prices of today: the ledger must follow the config, as X's bill follows X's.
[x.costs]
post = 0.02
post_with_link = 0.25
post_read = 0.004
media_metadata = 0.006
"""
PRICES = {"post": 20_000, "post_with_link": 250_000, "post_read": 4_000, "media_metadata": 6_000}


def micros(usd: float) -> int:
    return int(Decimal(str(usd)) * 1_000_000)


def ledger_total(paperbot: Paperbot) -> int:
    [row] = paperbot.query("SELECT coalesce(sum(amount), 0) AS total FROM x_ledger")
    return int(row["total"])


def x_posts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [post for entry in entries for post in entry["posts"] if post["channel"] == "x"]


# -- the ledger equals X's bill ---------------------------------------------------------------


@pytest.fixture
def pipeline(paperbot: Paperbot) -> Iterator[Pipeline]:
    paperbot.write_config(X_CONFIG)
    with fake_for(CREDS) as fake:
        setup = Pipeline(paperbot, fake, dict(CREDS), datetime.now(UTC).replace(microsecond=0))
        fake.clock = lambda: setup.now
        fake.prices = PRICES
        yield setup


def test_the_ledger_equals_xs_bill_through_figures_a_lost_answer_and_503s(
    pipeline: Pipeline,
) -> None:
    work = pipeline.paperbot.workdir
    for k in range(3):
        (work / f"fig{k}.png").write_bytes(picture("PNG", (40 * k, 90, 200)))
    figures = [("fig0.png", "Panel A: the plot"), ("fig1.png", "Panel B: the table")]
    ids = [
        pipeline.add(1, *figures),  # 503 on an upload: nothing billed, tried again
        pipeline.add(2, ("fig2.png", "The architecture")),  # 503 on create, after its alt text
        pipeline.add(3),  # created, answer lost: found on the timeline (a billed read)
        pipeline.add(4, *figures),
    ]
    fake = pipeline.fake
    fake.fail_next("media_append", FaultMode.SERVER_ERROR, status=503)
    fake.fail_next("create_tweet", FaultMode.SERVER_ERROR, status=503)
    fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    for _ in range(4):
        pipeline.run_once()
        pipeline.step(30)
        if not pipeline.queued():
            break
    entries = pipeline.json("list")
    assert {entry["status"] for entry in entries} == {"posted"}
    assert len(fake.posts) == 4
    routes = [line.route for line in fake.bill]
    assert routes.count("user_tweets") >= 2  # settling read the timeline, and paid for it
    assert routes.count("media_metadata") == 2 + 1 + 1 + 2  # entry 2's alt text billed twice

    billed = fake.billed()
    assert ledger_total(pipeline.paperbot) == billed
    status = pipeline.json("status")["costs"]["x"]
    assert micros(status["spent"]) == billed
    assert status["month"] == f"{pipeline.now:%Y-%m}" and status["budget"] is None
    # Per post, to the micro-dollar: the JSON of list, show and history agree with X's bill.
    per_post = {post["remote_id"]: micros(post["cost"]) for post in x_posts(entries)}
    assert sum(per_post.values()) == billed
    shown = pipeline.json("show", str(ids[3]))
    assert micros(x_posts([shown])[0]["cost"]) == 250_000 + 2 * 6_000
    history = {item["entry_id"]: micros(item["cost"]) for item in pipeline.json("history")}
    assert history == {entry["id"]: per_post[x_posts([entry])[0]["remote_id"]] for entry in entries}
    lost = x_posts([pipeline.json("show", str(ids[2]))])[0]
    reads = sum(line.amount for line in fake.bill if line.route == "user_tweets")
    assert micros(lost["cost"]) >= 250_000 + 4_000  # its create, and the read that found it
    assert reads > 0
    csv_lines = pipeline.cli("history", "--csv")[1].splitlines()
    assert "cost" in csv_lines[0].split(",")


def test_settling_reads_only_the_window_of_the_lost_post(pipeline: Pipeline) -> None:
    # Twelve older posts on the account: a lookup of the last two hours would pay for them all.
    for n in range(12):
        pipeline.fake.add_post(f"older post {n}", created_at=pipeline.now - timedelta(minutes=90))
    entry_id = pipeline.add(1)
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    pipeline.run_once()
    assert pipeline.entries()[entry_id]["status"] == "posted"
    reads = [line for line in pipeline.fake.bill if line.route == "user_tweets"]
    assert len(reads) == 1  # only the lost post itself was in the window
    assert ledger_total(pipeline.paperbot) == pipeline.fake.billed() == 250_000 + 4_000


def test_the_read_check_makes_is_in_the_ledger(pipeline: Pipeline) -> None:
    pipeline.fake.add_post(
        "posted by hand a minute ago", created_at=pipeline.now - timedelta(1 / 1440)
    )
    _, out, _ = pipeline.cli("check")
    assert "reading the account's posts: allowed" in out
    assert ledger_total(pipeline.paperbot) == pipeline.fake.billed() == PRICES["post_read"]


# -- the monthly budget -------------------------------------------------------------------------

ALL_CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["x", "bluesky", "mastodon"]

[schedule]
jitter_minutes = 0

[x]
timeout_seconds = 2
{x}
"""


@pytest.fixture
def platforms(paperbot: Paperbot) -> Iterator[Platforms]:
    clock: list[datetime] = [datetime.now(UTC).replace(microsecond=0)]
    x = FakeX(
        consumer_key=X_CREDS["X_API_KEY"],
        consumer_secret=X_CREDS["X_API_SECRET"],
        access_token=X_CREDS["X_ACCESS_TOKEN"],
        access_token_secret=X_CREDS["X_ACCESS_TOKEN_SECRET"],
    )
    with (
        x,
        FakeBluesky(password=BLUESKY_PASSWORD) as bluesky,
        FakeMastodon(access_token=MASTODON_TOKEN, now=lambda: clock[0]) as mastodon,
    ):
        setup = Platforms(paperbot, x, bluesky, mastodon, clock[0])
        x.clock = lambda: setup.now
        yield setup


def per_channel(p: Platforms) -> dict[str, dict[int, str]]:
    """Per channel: entry id -> post status."""
    found: dict[str, dict[int, str]] = {"x": {}, "bluesky": {}, "mastodon": {}}
    for entry in p.json("list"):
        for post in entry["posts"]:
            found[post["channel"]][entry["id"]] = post["status"]
    return found


def four_under_a_budget_for_two(p: Platforms) -> list[int]:
    """Four entries, one pass of the poster, a month's X budget ($0.40) for two linked posts."""
    p.paperbot.write_config(ALL_CONFIG.format(x="monthly_budget = 0.40"))
    ids = [p.add(n) for n in range(4)]
    p.run_once()
    return ids


def test_a_budget_for_two_linked_posts_holds_the_other_two_until_next_month(
    platforms: Platforms,
) -> None:
    p = platforms
    ids = four_under_a_budget_for_two(p)
    statuses = per_channel(p)
    assert sorted(statuses["bluesky"].values()) == ["posted"] * 4
    assert sorted(statuses["mastodon"].values()) == ["posted"] * 4
    on_x = statuses["x"]
    assert [on_x[i] for i in ids[:2]] == ["posted", "posted"]
    assert [on_x[i] for i in ids[2:]] == ["retrying", "retrying"]
    assert len(p.x.posts) == 2 and p.x.billed() == 400_000
    _, following = month_bounds(p.now)
    message = f"X budget reached: $0.40 of $0.40 this month; X posts resume on {following:%Y-%m-%d}"
    entries = {entry["id"]: entry for entry in p.json("list")}
    for entry_id in ids[2:]:
        assert entries[entry_id]["status"] == "queued"
        assert entries[entry_id]["last_error"] == message
    document = p.json("status")
    assert document["costs"]["x"]["message"] == message
    assert (document["costs"]["x"]["spent"], document["costs"]["x"]["budget"]) == (0.4, 0.4)
    assert message in p.cli("status")[1].replace("\n", " ")
    # Still this month: nothing more goes out on X, however often the daemon looks.
    p.step(3600)
    p.run_once()
    assert len(p.x.posts) == 2
    # The next month (the injected clock): the other two go, and the month starts at $0.40.
    p.now = following + timedelta(minutes=5)
    p.run_once()
    assert sorted(per_channel(p)["x"].values()) == ["posted"] * 4
    assert len(p.x.posts) == 4
    costs = p.json("status")["costs"]["x"]
    assert (costs["month"], costs["spent"], costs["message"]) == (f"{following:%Y-%m}", 0.4, None)
    assert ledger_total(p.paperbot) == p.x.billed() == 800_000


def test_a_budget_raised_mid_month_sends_the_held_posts_when_the_poster_starts(
    platforms: Platforms,
) -> None:
    p = platforms
    ids = four_under_a_budget_for_two(p)
    assert sorted(per_channel(p)["x"].values()) == ["posted", "posted", "retrying", "retrying"]
    # Room for one more linked post only: both are released, one goes, one is held again.
    p.paperbot.write_config(ALL_CONFIG.format(x="monthly_budget = 0.60"))
    p.step(60)
    p.run_once()
    on_x = per_channel(p)["x"]
    assert sorted(on_x.values()) == ["posted", "posted", "posted", "retrying"]
    assert len(p.x.posts) == 3 and p.x.billed() == 600_000
    # No budget at all: the last one goes too, still this month.
    p.paperbot.write_config(ALL_CONFIG.format(x=""))
    p.step(60)
    p.run_once()
    assert [per_channel(p)["x"][i] for i in ids] == ["posted"] * 4
    assert len(p.x.posts) == 4 and ledger_total(p.paperbot) == p.x.billed() == 800_000


# -- the arXiv-id citation ----------------------------------------------------------------------


def test_arxiv_id_style_cites_the_paper_on_x_without_a_link_and_links_elsewhere(
    platforms: Platforms,
) -> None:
    p = platforms
    p.paperbot.write_config(ALL_CONFIG.format(x='link_style = "arxiv-id"'))
    abs_url = "https://arxiv.org/abs/2009.01835"
    arxiv = p.cli(
        "add",
        "https://arxiv.org/pdf/2009.01835v2.pdf",
        "--no-fetch",
        "--title",
        "Flow-edge guided video completion",
        "--comment",
        "Video completion guided by flow edges. More detail.",
        "--at",
        (p.now - timedelta(minutes=5)).isoformat(),
    )[1].strip()
    other = p.add(7)  # not on arXiv: keeps its link on X too
    previews = {(i["id"], i["channel"]): i for i in p.json("preview")}
    x_item = previews[(int(arxiv), "x")]
    assert x_item["text"].endswith("arXiv:2009.01835") and abs_url not in x_item["text"]
    assert (x_item["cost"], x_item["saving"]) == (0.015, 0.185)
    assert (previews[(other, "x")]["cost"], previews[(other, "x")]["saving"]) == (0.2, 0.0)
    assert "saves $0.185" in p.cli("preview", arxiv)[1]
    rows = {row["entry_id"]: row for row in p.json("schedule")["posts"]}
    assert (rows[int(arxiv)]["x_cost"], rows[int(arxiv)]["x_saving"]) == (0.015, 0.185)
    assert (rows[other]["x_cost"], rows[other]["x_saving"]) == (0.2, 0.0)
    shown = p.cli("schedule")[1]  # (the cell may wrap in a narrow terminal)
    assert all(part in shown for part in ("$0.015", "(saves", "$0.185)", "on X $0.215."))
    p.run_once()

    posts = {post.text: post for post in p.x.posts}
    cited = posts[x_item["text"]]
    assert "arXiv:2009.01835" in cited.text
    assert [link for link in cited.links if link.media_key is None] == []  # no URL entity
    kinds = {line.remote_id: line.kind for line in p.x.bill if line.route == "create_tweet"}
    assert kinds[cited.id] == "post"
    assert sorted(kinds.values()) == ["post", "post_with_link"]  # the other entry links
    [record] = [r for r in p.bluesky.records if "2009.01835" in json.dumps(r.value)]
    facets = [f["uri"] for facet in record.value["facets"] for f in facet["features"]]
    assert abs_url in facets
    [status] = [s for s in p.mastodon.statuses if "2009.01835" in s.text]
    assert abs_url in status.text
    assert ledger_total(p.paperbot) == p.x.billed() == 15_000 + 200_000
