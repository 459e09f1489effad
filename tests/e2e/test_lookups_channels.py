"""Look before sending again, on every channel: lost answers looked up at once and more than an
hour later (after Mastodon has forgotten the Idempotency-Key), percent-escaped links, and posts
awaiting a decision settled by hand (`resolve` on each channel) and by themselves. Every test
ends with 0 duplicates and 0 lost: each entry exactly once on each platform.

The real CLI, a real database (both stores), the three fakes over HTTP on one virtual clock
(tests/e2e/test_pipeline_channels.py's harness).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Paperbot
from tests.e2e.test_pipeline_channels import (
    ALL,
    Platforms,
    assert_once_per_channel,
    platforms_for,
)
from tests.fakes.bluesky_model import FaultMode as BlueskyFault
from tests.fakes.mastodon_model import FaultMode as MastodonFault
from tests.fakes.x_model import FaultMode as XFault


@pytest.fixture
def platforms(paperbot: Paperbot) -> Iterator[Platforms]:
    with platforms_for(paperbot) as setup:
        yield setup


def outcomes(p: Platforms, entry_id: int) -> dict[str, list[str]]:
    return {
        post["channel"]: [a["outcome"] for a in post["attempts"]]
        for post in p.json("show", str(entry_id))["posts"]
    }


def lose_answers_and_first_lookups(p: Platforms) -> None:
    """The next create on each platform is made but its answer lost (the one after: lost before
    anything is made), and the first lookup on each fails."""
    p.x.fail_next("create_tweet", XFault.DROP_AFTER)
    p.x.fail_next("create_tweet", XFault.DROP_BEFORE)
    p.bluesky.fail_next("createRecord", BlueskyFault.DROP_AFTER)
    p.bluesky.fail_next("createRecord", BlueskyFault.DROP_BEFORE)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_BEFORE)
    p.x.fail_next("user_tweets", XFault.SERVER_ERROR, status=503)
    p.bluesky.fail_next("getRecord", BlueskyFault.SERVER_ERROR, status=502)
    p.mastodon.fail_next("statuses", MastodonFault.SERVER_ERROR, status=503)


@pytest.mark.parametrize("later", [5, 3700], ids=["at-once", "over-an-hour-later"])
def test_lost_answers_are_looked_up_before_anything_is_sent_again(
    platforms: Platforms, later: int
) -> None:
    p = platforms
    ids = [p.add(1, figures=1), p.add(2)]
    lose_answers_and_first_lookups(p)
    p.run_once()
    assert len(p.x.posts) == len(p.bluesky.records) == len(p.mastodon.statuses) == 1
    for _ in range(6):
        p.step(later)
        p.run_once()
        if all(e["status"] == "posted" for e in p.entries().values()):
            break
    assert_once_per_channel(p, ids, ALL)
    made, lost = (outcomes(p, entry_id) for entry_id in ids)
    for channel in ALL:  # the one made was found, not sent again
        assert made[channel][0] == "unknown" and made[channel][-1] == "settled", made
        assert "posted" not in made[channel]
        assert lost[channel][-1] == "posted", lost
    # Mastodon was never sent the status again: the key is a help, never a proof.
    assert p.mastodon.calls("/api/v1/statuses", "POST") == 3
    logs = "\n".join(p.outputs)
    assert "getRecord for its record key" in logs
    assert "the account's own statuses, by text and links" in logs
    bluesky_lines = [line for line in logs.splitlines() if " on bluesky" in line]
    assert bluesky_lines and not any("timeline" in line for line in bluesky_lines)


def test_a_percent_escaped_link_lost_on_mastodon_is_found_hours_later(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("mastodon",))
    url = "https://example.org/papers/caf%C3%A9?q=a%20b&x=%2Fy"
    out = p.cli("add", url, "--no-fetch", "--comment", "Café results hold up. More here.")[1]
    entry_id = int(out)
    p.cli("edit", str(entry_id), "--at", p.now.isoformat())
    p.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    p.mastodon.fail_next("statuses", MastodonFault.SERVER_ERROR, times=1)
    p.run_once()
    [status] = p.mastodon.statuses
    assert url in status.text
    p.step(2 * 3600)  # Mastodon has forgotten the key: only its statuses can tell
    p.run_once()
    assert_once_per_channel(p, [entry_id], ("mastodon",))
    assert outcomes(p, entry_id)["mastodon"] == ["unknown", "lookup-failed", "settled"]


def reach_decisions(p: Platforms) -> int:
    """An entry whose answer is lost on every platform while lookups keep failing: after three
    failed looks each post awaits a decision. Returns the entry's id."""
    p.configure(ALL, max_attempts=3)
    entry_id = p.add(1, figures=1)
    p.x.fail_next("create_tweet", XFault.DROP_AFTER)
    p.bluesky.fail_next("createRecord", BlueskyFault.DROP_AFTER)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    p.x.fail_next("user_tweets", XFault.SERVER_ERROR, times=3, status=503)
    p.bluesky.fail_next("getRecord", BlueskyFault.SERVER_ERROR, times=3, status=502)
    p.mastodon.fail_next("statuses", MastodonFault.SERVER_ERROR, times=3, status=503)
    for _ in range(6):
        p.run_once()
        if len(p.json("status")["needs_decision"]["posts"]) == 3:
            break
        p.step(10)
    waiting = p.json("status")["needs_decision"]["posts"]
    assert sorted(post["channel"] for post in waiting) == sorted(ALL)
    for post in p.json("show", str(entry_id))["posts"]:
        channel = post["channel"]
        assert post["needs_decision"] is True
        assert f"paperbot resolve {entry_id} --channel {channel} --posted URL" in post["last_error"]
    return entry_id


def test_decisions_on_every_channel_are_resolved_by_hand(platforms: Platforms) -> None:
    p = platforms
    entry_id = reach_decisions(p)
    p.x.write_only = True  # X may not be read at all any more: still resolvable by hand
    [tweet], [record], [status] = p.x.posts, p.bluesky.records, p.mastodon.statuses
    for channel, wrong in [
        ("bluesky", f"https://x.com/i/status/{tweet.id}"),
        ("mastodon", f"at://did:plc:abc/app.bsky.feed.post/{record.rkey}"),
        ("x", f"{p.mastodon.url}/@paperbot/{status.id}"),
    ]:
        _, out, err = p.cli(
            "resolve", str(entry_id), "--channel", channel, "--posted", wrong, code=2
        )
        assert out == "" and len(err.strip().splitlines()) == 1 and f"on {channel}" in err
    _, _, err = p.cli("resolve", str(entry_id), "--not-posted", code=2)
    assert "give --channel" in err
    handle = p.bluesky.handle
    p.cli(
        "resolve",
        str(entry_id),
        "--channel",
        "bluesky",
        "--posted",
        f"https://bsky.app/profile/{handle}/post/{record.rkey}",
    )
    p.cli("resolve", str(entry_id), "--channel", "mastodon", "--posted", status.id)
    p.cli("resolve", str(entry_id), "--posted", f"https://x.com/paperbot_test/status/{tweet.id}")
    posts = {post["channel"]: post for post in p.json("show", str(entry_id))["posts"]}
    assert posts["bluesky"]["remote_id"] == f"at://{handle}/app.bsky.feed.post/{record.rkey}"
    assert posts["mastodon"]["remote_id"] == status.id
    assert posts["mastodon"]["remote_url"] == f"{p.mastodon.url}/web/statuses/{status.id}"
    assert {post["attempts"][-1]["outcome"] for post in posts.values()} == {"resolved-posted"}
    p.step(3600)
    p.run_once()
    assert len(p.x.posts) == len(p.bluesky.records) == len(p.mastodon.statuses) == 1
    assert p.entries()[entry_id]["status"] == "posted"


def test_decisions_on_every_channel_are_settled_by_themselves(platforms: Platforms) -> None:
    p = platforms
    entry_id = reach_decisions(p)
    # Lookups work again: within a quarter of an hour each post is looked up and found.
    p.step(5 * 60)
    p.run_once()
    assert len(p.json("status")["needs_decision"]["posts"]) == 3  # not yet due
    p.step(11 * 60)
    p.run_once()
    assert p.json("status")["needs_decision"]["posts"] == []
    assert_once_per_channel(p, [entry_id], ALL)
    for history in outcomes(p, entry_id).values():
        assert history[-2:] == ["needs-decision", "settled"], history
    p.step(3600)
    p.run_once()
    assert len(p.x.posts) == len(p.bluesky.records) == len(p.mastodon.statuses) == 1


def test_a_decision_on_x_with_reads_refused_is_settled_when_reads_are_allowed(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("x",))
    entry_id = p.add(1)
    p.x.write_only = True
    p.x.fail_next("create_tweet", XFault.DROP_BEFORE)  # nothing made: not there, in the end
    p.run_once()
    assert [post["entry_id"] for post in p.json("status")["needs_decision"]["posts"]] == [entry_id]
    p.step(20 * 60)
    p.run_once()  # still refused: looked at, still awaiting a decision, nothing sent
    assert p.x.posts == [] and len(p.json("status")["needs_decision"]["posts"]) == 1
    p.x.write_only = False
    p.step(20 * 60)
    p.run_once()  # the look says "not there": sent once
    assert_once_per_channel(p, [entry_id], ("x",))
    history = outcomes(p, entry_id)["x"]
    assert history == ["unknown", "needs-decision", "settled-not-posted", "posted"]


def test_an_entry_with_a_post_that_may_be_out_cannot_be_edited_skipped_or_removed(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("x", "mastodon"))
    entry_id = p.add(1)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_BEFORE)  # not there, but unsure
    p.run_once()
    entry = p.entries()[entry_id]
    assert entry["status"] == "queued"  # looked up again once the request can no longer land
    before = p.paperbot.dump()
    for args in (("edit", str(entry_id), "--comment", "New words."), ("skip",), ("remove",)):
        args = args if len(args) > 1 else (*args, str(entry_id))
        _, out, err = p.cli(*args, code=2)
        assert out == "" and len(err.strip().splitlines()) == 1, err
        assert "on mastodon may be out" in err
        assert f"paperbot resolve {entry_id} --channel mastodon" in err
    assert p.paperbot.dump() == before
    p.step(60)
    p.run_once()  # looked up: not there, sent once
    assert_once_per_channel(p, [entry_id], ("x", "mastodon"))
    # Posted: its history is never deleted with it.
    before = p.paperbot.dump()
    _, _, err = p.cli("remove", str(entry_id), code=2)
    assert len(err.strip().splitlines()) == 1 and p.paperbot.dump() == before
    other = p.add(2, figures=1)
    p.mastodon.fail_next("media_upload", MastodonFault.SERVER_ERROR, times=100)
    p.configure(("x", "mastodon"), max_attempts=1)
    p.run_once(code=1)  # a post failed for good in this run: cron and timers must notice
    assert p.entries()[other]["status"] == "failed"  # on Mastodon; out on X
    _, _, err = p.cli("remove", str(other), code=2)
    assert "it was posted on x" in err and "paperbot skip" in err
    p.cli("skip", str(other))
