"""Engagement on three channels: counts read from the fakes X, Bluesky and Mastodon (the real
SDKs over HTTP), kept as snapshots, shown by `paperbot engagement` and `history`, deleted posts
marked gone. Both stores.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from tests.e2e.test_pipeline_channels import Platforms, platforms  # noqa: F401  (fixture)

COUNTS = {
    # entry number -> (likes, reposts, replies, quotes) on X, Bluesky, Mastodon
    1: ((5, 1, 0, 0), (3, 0, 1, 0), (2, 2, 0, 1)),
    2: ((40, 7, 3, 2), (11, 4, 2, 1), (9, 3, 1, 0)),
    3: ((0, 0, 0, 0), (1, 0, 0, 0), (0, 0, 0, 0)),
}


def post_week(p: Platforms, entries: int = 3) -> tuple[list[int], str]:
    ids = [p.add(n) for n in range(1, entries + 1)]
    p.run_once()
    week = p.entries()[ids[0]]["week"]
    return ids, week


def set_fake_counts(p: Platforms, ids: list[int]) -> dict[tuple[int, str], tuple[int, ...]]:
    """Give every post its counts on its platform; returns what each should read back as."""
    posted = p.posted_per_channel()
    expected: dict[tuple[int, str], tuple[int, ...]] = {}
    for number, entry_id in enumerate(ids, 1):
        x, bluesky, mastodon = COUNTS[number]
        p.x.set_metrics(posted["x"][entry_id], **dict(zip(NAMES, x, strict=True)))
        rkey = posted["bluesky"][entry_id].rsplit("/", 1)[-1]
        p.bluesky.set_counts(rkey, **dict(zip(NAMES, bluesky, strict=True)))
        p.mastodon.set_counts(
            posted["mastodon"][entry_id], **dict(zip(NAMES, mastodon, strict=True))
        )
        expected.update({(entry_id, "x"): x, (entry_id, "bluesky"): bluesky})
        expected[(entry_id, "mastodon")] = mastodon
    return expected


NAMES = ("likes", "reposts", "replies", "quotes")


def read_requests(p: Platforms) -> Counter[str]:
    return Counter(
        {
            "x": p.x.routes_called().count("tweets_lookup"),
            "bluesky": sum(1 for call in p.bluesky.calls if call.route == "getPosts"),
            "mastodon": sum(
                1
                for r in p.mastodon.server.requests
                if r.path == "/api/v1/statuses" and r.method == "GET"
            ),
        }
    )


def test_a_weeks_engagement_equals_what_the_platforms_hold_read_in_one_request_each(
    platforms: Platforms,  # noqa: F811
) -> None:
    p = platforms
    ids, week = post_week(p)
    expected = set_fake_counts(p, ids)
    before = read_requests(p)

    document = p.json("engagement", "--week", week, "--refresh")

    assert read_requests(p) - before == Counter({"x": 1, "bluesky": 1, "mastodon": 1})
    assert p.x.posts_returned == 3  # what X bills: each post returned once
    got = {
        (entry["id"], post["channel"]): tuple(post["engagement"][name] for name in NAMES)
        for entry in document["entries"]
        for post in entry["posts"]
    }
    assert got == expected
    totals = {name: sum(c[i] for c in expected.values()) for i, name in enumerate(NAMES)}
    assert document["totals"] == {**totals, "all": sum(totals.values())}
    order = [entry["id"] for entry in document["entries"]]
    assert order == [ids[1], ids[0], ids[2]]  # highest total first
    assert all(
        entry["total"] == sum(sum(expected[(entry["id"], c)]) for c in ("x", "bluesky", "mastodon"))
        for entry in document["entries"]
    )

    # history shows the latest counts per post, in JSON and as CSV columns.
    history = p.json("history", "--week", week)
    by_post = {(item["entry_id"], item["channel"]): item for item in history}
    for key, counts in expected.items():
        assert tuple(by_post[key]["engagement"][name] for name in NAMES) == counts
        assert by_post[key]["gone_at"] is None
    rows = list(csv.DictReader(io.StringIO(p.cli("history", "--week", week, "--csv")[1])))
    for row in rows:
        key = (int(row["entry_id"]), row["channel"])
        assert tuple(int(row[name]) for name in NAMES) == expected[key]
        assert row["engagement_read_at"]


def test_snapshots_are_kept_as_history_and_the_latest_is_shown(platforms: Platforms) -> None:  # noqa: F811
    p = platforms
    ids, week = post_week(p, entries=1)
    x_id = p.posted_per_channel()["x"][ids[0]]
    p.x.set_metrics(x_id, likes=1)
    p.cli("engagement", "--week", week, "--refresh")
    p.step(3600)
    p.x.set_metrics(x_id, likes=9)
    document = p.json("engagement", "--week", week, "--refresh")
    x_post = next(post for post in document["entries"][0]["posts"] if post["channel"] == "x")
    assert x_post["engagement"]["likes"] == 9
    rows = p.paperbot.query(
        "SELECT likes FROM engagement JOIN post ON post.id = engagement.post_id "
        "WHERE post.channel = 'x' ORDER BY engagement.read_at"
    )
    assert [row["likes"] for row in rows] == [1, 9]


def test_posts_deleted_on_the_platform_become_gone_keep_their_counts_and_are_not_read_again(
    platforms: Platforms,  # noqa: F811
) -> None:
    p = platforms
    ids, week = post_week(p, entries=2)
    expected = set_fake_counts(p, ids)
    p.cli("engagement", "--week", week, "--refresh")
    posted = p.posted_per_channel()
    first = ids[0]
    p.x.delete_post(posted["x"][first])
    p.bluesky.delete_record(posted["bluesky"][first].rsplit("/", 1)[-1])
    p.mastodon.delete_status(posted["mastodon"][first])
    # The second entry's Bluesky post is not indexed yet: left out by getPosts, but its record
    # is there, so it is not gone.
    p.bluesky.hide_from_appview(posted["bluesky"][ids[1]].rsplit("/", 1)[-1])
    p.step(60)

    document = p.json("engagement", "--week", week, "--refresh")

    posts = {
        (entry["id"], post["channel"]): post
        for entry in document["entries"]
        for post in entry["posts"]
    }
    for channel in ("x", "bluesky", "mastodon"):
        gone = posts[(first, channel)]
        assert gone["gone_at"] is not None, channel
        assert tuple(gone["engagement"][n] for n in NAMES) == expected[(first, channel)]
        assert posts[(ids[1], channel)]["gone_at"] is None, channel
    assert sum(sum(c) for c in expected.values()) == document["totals"]["all"]
    # Gone posts are never read again; entries stay posted.
    before = p.x.posts_returned
    p.cli("engagement", "--week", week, "--refresh")
    assert p.x.posts_returned - before == 1
    assert p.entries()[first]["status"] == "posted"
    assert [n for n, c in p.remote_ids()["x"].items() if c != 1] == []


def test_a_mastodon_server_before_4_3_is_read_one_status_at_a_time(platforms: Platforms) -> None:  # noqa: F811
    p = platforms
    p.mastodon.batch_reads = False
    p.mastodon.count_quotes = False
    ids, week = post_week(p, entries=2)
    expected = set_fake_counts(p, ids)
    document = p.json("engagement", "--week", week, "--refresh")
    singles = [r for r in p.mastodon.server.requests if r.path.startswith("/api/v1/statuses/")]
    assert len(singles) == 2
    for entry in document["entries"]:
        post = next(post for post in entry["posts"] if post["channel"] == "mastodon")
        likes, reposts, replies, _ = expected[(entry["id"], "mastodon")]
        assert post["engagement"] == {
            **post["engagement"],
            "likes": likes,
            "reposts": reposts,
            "replies": replies,
            "quotes": None,
        }
    # Remembered within the run: a second read goes straight to one by one.
    batch_tries = [
        r for r in p.mastodon.server.requests if r.path == "/api/v1/statuses" and r.method == "GET"
    ]
    assert len(batch_tries) == 1


def test_an_empty_week_and_a_bad_week(platforms: Platforms) -> None:  # noqa: F811
    p = platforms
    _, out, _ = p.cli("engagement", "--week", "2020-W01")
    assert "Nothing posted in 2020-W01" in out
    _, _, err = p.cli("engagement", "--week", "2020-W99", code=2)
    assert err.strip().count("\n") == 0 and "2020-W99" in err


@pytest.mark.parametrize("bad", ['["soon"]', '["0h"]', '"1h"'])
def test_engagement_ages_are_validated(platforms: Platforms, bad: str) -> None:  # noqa: F811
    p = platforms
    p.paperbot.write_config(f'timezone = "UTC"\n[engagement]\nat = {bad}\n')
    _, _, err = p.cli("engagement", code=2)
    assert "engagement.at" in err


def test_x_reads_are_in_the_ledger_per_post_and_free_again_the_same_day(
    platforms: Platforms,  # noqa: F811
) -> None:
    p = platforms
    # To noon, UTC: the ten minutes below stay within one UTC day whenever the suite runs (the
    # virtual clock starts at the real time; from 23:50 on they crossed into the next day).
    since_midnight = p.now.hour * 3600 + p.now.minute * 60 + p.now.second
    p.step((12 * 3600 - since_midnight) % 86400)
    ids, week = post_week(p)
    posted = p.posted_per_channel()["x"]
    p.cli("engagement", "--week", week, "--refresh")
    p.step(600)
    p.cli("engagement", "--week", week, "--refresh")  # the same UTC day: X bills nothing more
    rows = p.paperbot.query("SELECT kind, amount, post_id, remote_id FROM x_ledger")
    reads = [row for row in rows if row["kind"] == "post_read"]
    assert sorted(row["remote_id"] for row in reads) == sorted(posted.values())
    post_of = {
        row["remote_id"]: row["id"]
        for row in p.paperbot.query("SELECT id, remote_id FROM post WHERE channel = 'x'")
    }
    assert all(row["post_id"] == post_of[row["remote_id"]] for row in reads)
    assert sum(row["amount"] for row in rows) == p.x.billed()
    costs = {entry["id"]: entry for entry in p.json("list", "--week", week)}
    for entry_id in ids:
        x_post = next(post for post in costs[entry_id]["posts"] if post["channel"] == "x")
        assert x_post["cost"] == pytest.approx(0.205)  # the linked post and one read


def test_a_budget_with_room_for_posts_but_not_reads_skips_x_reads_only(
    platforms: Platforms,  # noqa: F811
) -> None:
    p = platforms
    config = p.paperbot.env["PAPERBOT_CONFIG"]
    with open(config, encoding="utf-8") as file:
        text = file.read()
    # Two linked posts ($0.40) fit; a read needs a post's price in hand besides ($0.21 more).
    p.paperbot.write_config(text.replace("[x]\n", "[x]\nmonthly_budget = 0.45\n"))
    _, week = post_week(p, entries=2)
    assert len(p.posted_per_channel()["x"]) == 2
    before = read_requests(p)
    _, _, err = p.cli("engagement", "--week", week, "--refresh")
    assert read_requests(p) - before == Counter({"bluesky": 1, "mastodon": 1})
    assert "x: 0 posts read" in err and "budget" in err
    document = p.json("engagement", "--week", week)
    read = {
        post["channel"]
        for entry in document["entries"]
        for post in entry["posts"]
        if post["engagement"] is not None
    }
    assert read == {"bluesky", "mastodon"}
    assert not [
        row for row in p.paperbot.query("SELECT kind FROM x_ledger") if row["kind"] == "post_read"
    ]
