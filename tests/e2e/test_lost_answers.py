"""Lost answers end to end, against a fake X that answers as X does (t.co links, the media link
appended, 453 for an access level that cannot read posts): never twice, never lost.

The real CLI, a real SQLite file, the fake X over HTTP; the clock is ``PAPERBOT_NOW``, stepped by
the test (no sleeps). See tests/e2e/test_pipeline_x.py for the harness.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Paperbot
from tests.e2e.test_pipeline_x import CONFIG, CREDS, Pipeline, fake_for, picture, post_of
from tests.fakes.x_model import FaultMode
from tests.waiting import wait_until


@pytest.fixture
def pipeline(paperbot: Paperbot) -> Iterator[Pipeline]:
    paperbot.write_config(CONFIG.format(timeout=2))
    with fake_for(CREDS) as fake:
        yield Pipeline(paperbot, fake, dict(CREDS), datetime.now(UTC).replace(microsecond=0))


def figures(pipeline: Pipeline, count: int) -> list[tuple[str, str]]:
    specs = []
    for i in range(count):
        name = f"fig{i}.png" if i % 2 else f"fig{i}.jpg"
        fmt = "PNG" if i % 2 else "JPEG"
        (pipeline.paperbot.workdir / name).write_bytes(picture(fmt, (40 * i, 99, 200 - i)))
        specs.append((name, f"Panel {i}: the ablation"))
    return specs


COMMENT = "Figure 2 says it all 🎉 训练曲线 code at github.com/foo/bar. Rest here."


def needs_decision(pipeline: Pipeline) -> list[int]:
    document = pipeline.json("status")["needs_decision"]
    ids = [post["entry_id"] for post in document["posts"]]
    assert document["count"] == len(ids)
    return ids


# -- the timeline can be read ---------------------------------------------------------------------


@pytest.mark.parametrize("images", [1, 2, 3, 4])
def test_lost_answer_for_a_post_with_figures_is_found_on_the_timeline(
    pipeline: Pipeline, images: int
) -> None:
    specs = figures(pipeline, images)
    entry_id = pipeline.add(1, *specs, comment=COMMENT)
    other = pipeline.add(2, *specs[:1])
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER)  # created, answer lost
    pipeline.run_once()
    remote, second = pipeline.fake.posts
    assert len(remote.media_ids) == images and remote.shown.endswith(remote.links[-1].url)
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted" and post_of(entry)["remote_id"] == remote.id
    assert pipeline.outcomes(entry_id) == ["settled"]
    assert post_of(pipeline.entries()[other])["remote_id"] == second.id
    pipeline.step(3600)
    pipeline.run_once()
    assert pipeline.creates() == 2 and len(pipeline.fake.posts) == 2


@pytest.mark.parametrize("images", [1, 2, 3, 4])
def test_lost_answer_for_a_post_with_figures_absent_after_the_grace_is_posted_once(
    pipeline: Pipeline, images: int
) -> None:
    specs = figures(pipeline, images)
    entry_id = pipeline.add(1, *specs, comment=COMMENT)
    # Same words and figures, another link (posted from the web app): not this entry's post.
    lookalike = pipeline.text_of(entry_id).replace("/papers/1", "/papers/other")
    pipeline.fake.add_post(lookalike, images=images)
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_BEFORE)  # nothing created
    pipeline.run_once()
    assert len(pipeline.fake.posts) == 1
    assert pipeline.entries()[entry_id]["status"] == "queued"
    pipeline.run_once()  # the request might still land: nothing is sent before the grace
    assert pipeline.creates() == 1
    pipeline.step(120)
    pipeline.run_once()
    _, remote = pipeline.fake.posts
    assert len(remote.media_ids) == images
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted" and post_of(entry)["remote_id"] == remote.id
    assert pipeline.outcomes(entry_id) == ["unknown", "settled-not-posted", "posted"]
    pipeline.step(3600)
    pipeline.run_once()
    assert len(pipeline.fake.posts) == 2 and pipeline.creates() == 2


# -- the timeline cannot be read ------------------------------------------------------------------


def test_reads_refused_the_post_waits_for_a_decision_and_the_queue_goes_on(
    pipeline: Pipeline,
) -> None:
    lost = pipeline.add(1, *figures(pipeline, 2), comment=COMMENT)
    others = [pipeline.add(n) for n in (2, 3)]
    pipeline.fake.write_only = True
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    pipeline.run_once()  # exit 0: an access level is not a credentials problem
    remote, *rest = pipeline.fake.posts
    assert len(rest) == 2
    entries = pipeline.entries()
    assert entries[lost]["status"] == "posting"
    message = entries[lost]["last_error"]
    assert "453" in message and f"paperbot resolve {lost} --channel x --posted URL" in message
    assert f"paperbot resolve {lost} --channel x --not-posted" in message
    assert post_of(entries[lost])["needs_decision"] is True
    assert [entries[i]["status"] for i in others] == ["posted", "posted"]
    assert needs_decision(pipeline) == [lost]
    assert pipeline.json("status")["channels"]["x"]["paused_reason"] is None
    assert "needs a decision: 1" in pipeline.cli("status")[1]

    # Later runs never post it again; they look it up again by themselves, backing off (the
    # first look 15 minutes after the decision was asked for, then as long as it has waited).
    logged = len(pipeline.fake.requests)
    pipeline.step(600)
    pipeline.run_once()
    assert pipeline.fake.requests[logged:] == []
    pipeline.step(3000)
    pipeline.run_once()
    reads = [r.route for r in pipeline.fake.requests[logged:] if r.route != "get_me"]
    assert reads == ["user_tweets"]
    pipeline.run_once()
    assert [r.route for r in pipeline.fake.requests[logged:] if r.route != "get_me"] == reads
    assert needs_decision(pipeline) == [lost]
    _, _, err = pipeline.cli("post", str(lost), code=1)
    assert "paperbot resolve" in err
    assert pipeline.creates() == 3

    pipeline.cli(
        "resolve", str(lost), "--posted", f"https://x.com/paperbot_test/status/{remote.id}?s=20"
    )
    entry = pipeline.entries()[lost]
    assert entry["status"] == "posted" and entry["last_error"] is None
    assert post_of(entry)["remote_id"] == remote.id
    assert post_of(entry)["remote_url"] == f"https://x.com/paperbot_test/status/{remote.id}"
    assert pipeline.outcomes(lost) == ["unknown", "needs-decision", "resolved-posted"]
    assert needs_decision(pipeline) == []
    # X billed the create it made: resolving books it, so the ledger is X's bill again.
    assert post_of(entry)["cost"] == 0.21  # two alt texts and a post with a link
    spent = pipeline.json("status")["costs"]["x"]["spent"]
    assert round(spent * 1_000_000) == pipeline.fake.billed() == 3 * 200_000 + 2 * 5_000
    pipeline.step(3600)
    pipeline.run_once()
    assert len(pipeline.fake.posts) == 3 and pipeline.creates() == 3


def test_reads_refused_and_not_posted_is_queued_again_by_hand(pipeline: Pipeline) -> None:
    lost = pipeline.add(1, *figures(pipeline, 3))
    pipeline.fake.write_only = True
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_BEFORE)
    pipeline.run_once()
    assert pipeline.fake.posts == [] and needs_decision(pipeline) == [lost]
    pipeline.cli("resolve", str(lost), "--not-posted")
    assert pipeline.entries()[lost]["status"] == "queued"
    pipeline.run_once()
    [remote] = pipeline.fake.posts
    assert len(remote.media_ids) == 3
    assert post_of(pipeline.entries()[lost])["remote_id"] == remote.id
    history = pipeline.outcomes(lost)
    assert history == ["unknown", "needs-decision", "resolved-not-posted", "posted"]


def test_reads_that_keep_failing_end_in_a_decision_not_a_second_post(pipeline: Pipeline) -> None:
    lost = pipeline.add(1, *figures(pipeline, 1))
    other = pipeline.add(2)
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    pipeline.fake.fail_next("user_tweets", FaultMode.SERVER_ERROR, times=1000, status=503)
    pipeline.run_once()
    for _ in range(6):
        if needs_decision(pipeline):
            break
        retry_at = pipeline.entries()[lost]["next_attempt_at"]
        pipeline.now = datetime.fromisoformat(retry_at) + timedelta(seconds=1)
        pipeline.run_once()  # exit 0 every time: nothing is paused
    assert needs_decision(pipeline) == [lost]
    assert "failed 3 times in a row" in pipeline.entries()[lost]["last_error"]
    assert pipeline.outcomes(lost) == ["unknown", *["lookup-failed"] * 2, "needs-decision"]
    remote, second = pipeline.fake.posts
    assert pipeline.creates() == 2 and post_of(pipeline.entries()[other])["remote_id"] == second.id
    pipeline.cli("resolve", str(lost), "--channel", "x", "--posted", remote.id)
    assert post_of(pipeline.entries()[lost])["remote_url"].endswith(f"/i/status/{remote.id}")


def test_resolve_refuses_bad_input_in_one_line_and_writes_nothing(pipeline: Pipeline) -> None:
    lost = pipeline.add(1)
    done = pipeline.add(2)
    pipeline.fake.write_only = True
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_BEFORE)
    pipeline.run_once()
    queued = pipeline.add(3)
    done_id = post_of(pipeline.entries()[done])["remote_id"]
    before = (pipeline.json("list"), pipeline.json("history"))
    for args, words in [
        ((str(queued), "--not-posted"), "no post awaiting a decision"),
        ((str(done), "--posted", done_id), "no post awaiting a decision"),
        (("999", "--not-posted"), "no entry with id 999"),
        ((str(lost),), "--posted URL_OR_ID or --not-posted"),
        ((str(lost), "--posted", "123", "--not-posted"), "--posted URL_OR_ID or --not-posted"),
        ((str(lost), "--posted", "https://example.org/status/1"), "neither a post link"),
        ((str(lost), "--posted", done_id), f"already recorded for entry {done}"),
        ((str(lost), "--channel", "bluesky", "--not-posted"), "no post awaiting a decision on"),
        ((str(lost), "--channel", "myspace", "--not-posted"), "unknown channel 'myspace'"),
        ((str(lost), "--posted", "https://bsky.app/profile/a.bsky.social/post/3k"), "on x"),
    ]:
        _, out, err = pipeline.cli("resolve", *args, code=2)
        assert out == "" and len(err.strip().splitlines()) == 1 and words in err, (args, err)
    assert (pipeline.json("list"), pipeline.json("history")) == before


def test_check_says_whether_lost_answers_can_be_looked_up(pipeline: Pipeline) -> None:
    out = pipeline.cli("check")[1]
    assert "posting as @paperbot_test" in out and "reading the account's posts: allowed" in out
    pipeline.fake.write_only = True
    out = pipeline.cli("check")[1]  # exit 0: posting works
    assert "not allowed by this app's access level (X error 453)" in out
    assert "paperbot resolve" in out


@pytest.mark.slow
def test_killed_mid_post_with_reads_refused_waits_for_a_decision(pipeline: Pipeline) -> None:
    pipeline.paperbot.write_config(CONFIG.format(timeout=30))  # the kill, not a timeout, ends it
    lost = pipeline.add(1, *figures(pipeline, 2))
    other = pipeline.add(2)
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER, delay=60)
    process = pipeline.spawn("post", str(lost))
    try:
        wait_until(lambda: len(pipeline.fake.posts) == 1, "X to create the post")
    finally:
        process.send_signal(signal.SIGKILL)
    assert pipeline.finish(process) == -signal.SIGKILL
    pipeline.fake.write_only = True
    pipeline.step(10)
    pipeline.run_once()
    remote, second = pipeline.fake.posts
    assert needs_decision(pipeline) == [lost]
    assert post_of(pipeline.entries()[other])["remote_id"] == second.id
    assert pipeline.outcomes(lost) == ["interrupted", "needs-decision"]
    pipeline.cli("resolve", str(lost), "--posted", f"https://twitter.com/x/status/{remote.id}")
    assert post_of(pipeline.entries()[lost])["remote_id"] == remote.id
    pipeline.step(3600)
    pipeline.run_once()
    assert len(pipeline.fake.posts) == 2
    pipeline.assert_no_secrets()
