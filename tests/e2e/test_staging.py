"""Figures staged ahead of the slot, on every channel: uploaded (and described) before, only the
post sent at the slot; uploaded again when the platform dropped them, when they expired, or when
the entry was edited since; a failed staging retried and shown by `status`; the staging job
never takes a channel's lock when a post is due before a staging could end.

The real workers the CLI builds (bot.cli.wiring), the real SDKs, a real database (both stores),
the three fakes over HTTP on one virtual clock (tests/e2e/test_pipeline_channels.py's harness).
Every test ends with each entry exactly once on each platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.cli.context import App
from bot.cli.wiring import build_workers
from bot.posting.publisher import Worker
from bot.posting.run_posting import staging_job
from bot.posting.staged import MediaShelf, stage_entry
from bot.posting.staging_job import StagingJob
from bot.schedule.timetable import Assignment
from tests.conftest import Paperbot
from tests.e2e.test_pipeline_bluesky_cards import _png
from tests.e2e.test_pipeline_channels import ALL, Platforms, assert_once_per_channel, platforms_for
from tests.fakes.http_server import FakeHTTPServer


@pytest.fixture
def platforms(paperbot: Paperbot) -> Iterator[Platforms]:
    with platforms_for(paperbot) as setup:
        yield setup


@pytest.fixture
def workers(platforms: Platforms) -> Iterator[list[Worker]]:
    built = build_workers(App(environ=platforms.env()), dry_run=False)
    for worker in built:
        worker.shelf = MediaShelf()
    yield built
    for worker in built:
        worker.channel.close()


def uploads(p: Platforms) -> dict[str, int]:
    """Images uploaded so far, per platform (X: one INITIALIZE per image)."""
    return {
        "x": sum(1 for r in p.x.requests if r.route == "media_initialize"),
        "bluesky": p.bluesky.routes_called().count("uploadBlob"),
        "mastodon": p.mastodon.calls("/api/v2/media", "POST"),
    }


def alt_texts(p: Platforms) -> dict[str, list[str]]:
    """The alt texts each platform shows on its posts, in order."""
    media = p.mastodon.media
    return {
        "x": [alt or "" for post in p.x.posts for alt in post.alt_texts],
        "bluesky": [
            image["alt"]
            for record in p.bluesky.records
            for image in record.value.get("embed", {}).get("images", [])
        ],
        "mastodon": [
            media[m].description or ""
            for status in p.mastodon.statuses
            for m in status.media_ids
            if m in media
        ],
    }


def post_all(workers: list[Worker], entry_id: int, now: datetime) -> dict[str, str]:
    return {w.channel.name: w.post(entry_id, now).result for w in workers}


def test_staged_figures_go_with_the_post_and_nothing_is_uploaded_at_the_slot(
    platforms: Platforms, workers: list[Worker]
) -> None:
    p = platforms
    entry = p.add(1, figures=2)
    for worker in workers:
        assert stage_entry(worker, entry, p.now) == 2
    staged = uploads(p)
    assert staged == {"x": 2, "bluesky": 2, "mastodon": 2}
    assert p.x.posts == [] and p.bluesky.records == [] and p.mastodon.statuses == []
    p.step(240)  # the slot, four minutes later
    assert post_all(workers, entry, p.now) == dict.fromkeys(ALL, "posted")
    assert uploads(p) == staged  # at the slot, only the posts themselves
    assert_once_per_channel(p, [entry], ALL)
    assert alt_texts(p) == {name: ["Figure 1 of paper 1", "Figure 2 of paper 1"] for name in ALL}
    # X billed the alt texts while staging: the post's cost has them, equal to X's bill.
    (x_post,) = [post for post in p.json("show", str(entry))["posts"] if post["channel"] == "x"]
    assert round(x_post["cost"] * 1_000_000) == p.x.billed()
    assert p.json("status")["costs"]["x"]["spent"] * 1_000_000 == pytest.approx(p.x.billed())


def test_media_the_platforms_dropped_are_uploaded_again_and_posted_once(
    platforms: Platforms, workers: list[Worker], caplog: pytest.LogCaptureFixture
) -> None:
    p = platforms
    entry = p.add(2, figures=2)
    for worker in workers:
        stage_entry(worker, entry, p.now)
    # Each platform's own cleanup: X's expiry, a PDS's temporary blobs, Mastodon's vacuum.
    assert p.x.expire_unused_media() == 2
    assert p.bluesky.drop_unused_blobs() == 2
    assert p.mastodon.vacuum_orphaned_media() == 2
    p.step(60)
    assert post_all(workers, entry, p.now) == dict.fromkeys(ALL, "posted")
    assert uploads(p) == dict.fromkeys(ALL, 4)  # staged, dropped, uploaded again at the slot
    assert_once_per_channel(p, [entry], ALL)
    assert alt_texts(p) == {name: ["Figure 1 of paper 2", "Figure 2 of paper 2"] for name in ALL}
    assert caplog.text.count("staged images are gone") == 3


def test_expired_staging_and_an_edit_since_staging_upload_at_the_slot(
    platforms: Platforms, workers: list[Worker]
) -> None:
    p = platforms
    kept, edited = p.add(3, figures=1), p.add(4, figures=1)
    for worker in workers:
        stage_entry(worker, kept, p.now)
        stage_entry(worker, edited, p.now)
    p.step(1)
    p.cli("edit", str(edited), "--comment", "A better sentence about finding four.")
    before = uploads(p)
    p.step(20 * 60)  # Bluesky's blobs are past their window; X's and Mastodon's are not
    assert post_all(workers, kept, p.now) == dict.fromkeys(ALL, "posted")
    assert uploads(p) == {**before, "bluesky": before["bluesky"] + 1}
    assert post_all(workers, edited, p.now) == dict.fromkeys(ALL, "posted")
    assert uploads(p) == {name: before[name] + 1 + (name == "bluesky") for name in ALL}
    assert_once_per_channel(p, [kept, edited], ALL)
    assert all("A better sentence" in status.text for status in p.mastodon.statuses[1:])


PAGE = (
    '<html><head><meta property="og:title" content="A post">'
    '<meta property="og:image" content="/img/preview.png"></head><body>hi</body></html>'
)


def test_a_bluesky_link_cards_thumbnail_is_fetched_ahead_and_again_after_an_edit(
    platforms: Platforms, workers: list[Worker]
) -> None:
    p = platforms
    with FakeHTTPServer() as site:
        site.route("/blog/a", (200, {"Content-Type": "text/html"}, PAGE.encode()))
        site.route("/blog/b", (200, {"Content-Type": "text/html"}, PAGE.encode()))
        site.route("/img/preview.png", (200, {"Content-Type": "image/png"}, _png(120, 63)))
        at = (p.now + timedelta(minutes=4)).isoformat()
        kept, edited = (
            int(p.cli("add", site.url(f"/blog/{name}"), "--no-fetch", "--title", f"Post {name}",
                      "--comment", "A finding worth a card.", "--at", at)[1])
            for name in ("a", "b")
        )  # fmt: skip
        for worker in workers:
            assert stage_entry(worker, kept, p.now) == 0
            assert stage_entry(worker, edited, p.now) == 0
        # Only Bluesky builds its own cards: each page and its image, once each.
        assert sorted(site.paths()) == ["/blog/a", "/blog/b"] + ["/img/preview.png"] * 2
        site.clear()
        p.step(1)
        p.cli("edit", str(edited), "--title", "Post b, retitled")
        p.step(240)
        assert post_all(workers, kept, p.now) == dict.fromkeys(ALL, "posted")
        assert site.paths() == []  # at the slot, only the post (and its small thumbnail blob)
        assert post_all(workers, edited, p.now) == dict.fromkeys(ALL, "posted")
        assert site.paths() == ["/blog/b", "/img/preview.png"]  # the card changed: made anew
    assert_once_per_channel(p, [kept, edited], ALL)
    cards = [record.value["embed"]["external"] for record in p.bluesky.records]
    assert [card["title"] for card in cards] == ["Post a", "Post b, retitled"]
    assert all(card["thumb"]["mimeType"] == "image/png" for card in cards)
    assert uploads(p) == {"x": 0, "bluesky": 2, "mastodon": 0}


def plan_of(entry_id: int, when: datetime) -> list[Assignment]:
    return [Assignment(entry_id, when, "at")]


def run_job(job: StagingJob, workers: list[Worker], plans: dict[str, list[Assignment]]) -> None:
    """One look over every channel in turn (the daemon runs each channel's on its own)."""
    for worker in workers:
        job.run_channel(worker, plans, {}, lambda: False)


def test_a_failed_staging_is_retried_before_the_slot_and_shown_by_status(
    platforms: Platforms, workers: list[Worker]
) -> None:
    p = platforms
    entry = p.add(5, figures=1)
    clock: list[datetime] = [p.now]
    # The daemon's job, noting failures in the database (the workers have their shelves).
    job = staging_job(workers[0].engine, [], 5, lambda: clock[0])
    plans = {w.channel.name: plan_of(entry, p.now + timedelta(minutes=4)) for w in workers}
    p.mastodon.fail_next("media_upload", "server_error")
    run_job(job, workers, plans)
    assert uploads(p) == {"x": 1, "bluesky": 1, "mastodon": 1}  # the 503 counts as a request
    channels = p.json("status")["channels"]
    assert f"entry {entry}: Mastodon had a server error" in (
        channels["mastodon"]["staging_note"] or ""
    )
    assert "x" not in channels or channels["x"]["staging_note"] is None
    _, text, _ = p.cli("status")
    assert f"Mastodon figures not staged ahead: entry {entry}" in " ".join(text.split())
    run_job(job, workers, plans)  # within a minute: not tried again yet
    assert uploads(p)["mastodon"] == 1
    clock[0] += timedelta(seconds=61)
    p.step(61)
    run_job(job, workers, plans)
    assert uploads(p) == {"x": 1, "bluesky": 1, "mastodon": 2}
    assert p.json("status")["channels"]["mastodon"]["staging_note"] is None
    p.step(180)
    assert post_all(workers, entry, p.now) == dict.fromkeys(ALL, "posted")
    assert uploads(p) == {"x": 1, "bluesky": 1, "mastodon": 2}
    assert_once_per_channel(p, [entry], ALL)


def test_the_job_stages_within_the_lead_and_never_as_a_post_is_due(
    platforms: Platforms, workers: list[Worker]
) -> None:
    p = platforms
    entry = p.add(6, figures=1)
    clock: list[datetime] = [p.now]
    job = StagingJob(timedelta(minutes=5), lambda: clock[0])
    slot = p.now + timedelta(minutes=10)
    plans: dict[str, list[Any]] = {w.channel.name: plan_of(entry, slot) for w in workers}
    run_job(job, workers, plans)
    assert uploads(p) == dict.fromkeys(ALL, 0)  # ten minutes ahead: not yet
    clock[0] = slot - timedelta(seconds=1)  # the post is about to go: out of its way
    run_job(job, workers, plans)
    assert uploads(p) == dict.fromkeys(ALL, 0)
    clock[0] = slot - timedelta(minutes=4)
    # Another channel's post due now holds every staging back, too.
    other = p.add(7, figures=1)
    busy = {**plans, "elsewhere": plan_of(other, clock[0])}
    run_job(job, workers, busy)
    assert uploads(p) == dict.fromkeys(ALL, 0)
    run_job(job, workers, plans)
    assert uploads(p) == dict.fromkeys(ALL, 1)
    run_job(job, workers, plans)  # staged already: nothing more
    assert uploads(p) == dict.fromkeys(ALL, 1)
    # One long overdue (waiting for a rate limit, a pause, a retry) does not.
    stuck = {**plans, "elsewhere": plan_of(other, clock[0] - timedelta(minutes=3))}
    moved = {name: plan_of(other, slot) for name in plans}
    run_job(job, workers, {**moved, "elsewhere": stuck["elsewhere"]})
    assert uploads(p) == dict.fromkeys(ALL, 2)
    # Entries no longer planned are forgotten: their staged media are never used.
    assert all(worker.shelf is not None and len(worker.shelf) == 1 for worker in workers)
