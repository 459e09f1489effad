"""The lifecycle as a table: (channel, post state, answer) -> (next phase, result, attempt
recorded, retry time, look first?), with fixed datetimes. Every channel's cases: X (a timeline
lookup, a grace for late requests, "duplicate" answers, error 453), Bluesky (getRecord by record
key: a repeat cannot post twice, so no grace) and Mastodon (statuses by link, a grace, since an
Idempotency-Key is a help, never a proof)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.posting.lifecycle import (
    DECISION_RELOOK_FIRST,
    DECISION_RELOOK_MAX,
    Answer,
    Event,
    Phase,
    Policy,
    PostState,
    next_step,
    relook_delay,
)
from bot.posting.outcome import RetryPolicy

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=3, base_seconds=60, max_seconds=3600)
GRACE = {"x": timedelta(seconds=60), "mastodon": timedelta(seconds=60), "bluesky": timedelta(0)}
RESET = NOW + timedelta(minutes=7)
S = timedelta(seconds=1)


def policy(channel: str) -> Policy:
    return Policy(RETRY, GRACE[channel], channel, key=4)


def backoff(attempt: int) -> timedelta:
    return RETRY.delay(4, attempt)


@dataclass(frozen=True)
class Row:
    channel: str
    state: PostState
    event: Event
    phase: Phase
    result: str
    record: str | None
    retry_in: timedelta | None  # from NOW; None: no retry time
    refund: bool = False
    pause: bool = False


def sending(attempts: int = 1) -> PostState:
    return PostState(Phase.SENDING, attempts, last_send=NOW)


def unknown(
    sent_ago: float, *, attempts: int = 1, failures: int = 0, dup: bool = False
) -> PostState:
    return PostState(
        Phase.UNKNOWN,
        attempts,
        last_send=NOW - sent_ago * S,
        lookup_failures=failures,
        duplicate=dup,
    )


def deciding(waited: timedelta, attempts: int = 1) -> PostState:
    return PostState(
        Phase.DECISION, attempts, last_send=NOW - waited - S, decision_since=NOW - waited
    )


ROWS = [
    # -- answers to a send, the same on every channel ---------------------------------------
    *[
        row
        for ch in ("x", "bluesky", "mastodon")
        for row in (
            Row(ch, sending(), Event(Answer.POSTED), Phase.POSTED, "posted", "posted", None),
            Row(
                ch, sending(), Event(Answer.REFUSED, "bad"), Phase.FAILED, "failed", "invalid", None
            ),
            Row(
                ch,
                sending(1),
                Event(Answer.TRANSIENT, "503"),
                Phase.READY,
                "retry",
                "transient",
                backoff(1),
            ),
            Row(
                ch,
                sending(3),
                Event(Answer.TRANSIENT, "503"),
                Phase.FAILED,
                "failed",
                "transient",
                None,
            ),
            # A lost answer, a 5xx after sending, a timeout: look before anything else, now.
            Row(
                ch,
                sending(),
                Event(Answer.UNKNOWN, "timeout"),
                Phase.UNKNOWN,
                "retry",
                "unknown",
                timedelta(0),
            ),
            Row(
                ch,
                sending(3),
                Event(Answer.UNKNOWN, "lost"),
                Phase.UNKNOWN,
                "retry",
                "unknown",
                timedelta(0),
            ),
            Row(
                ch,
                sending(),
                Event(Answer.RATE_LIMITED, "429", RESET),
                Phase.READY,
                "waiting",
                "rate_limited",
                RESET - NOW,
                refund=True,
            ),
            Row(
                ch,
                sending(),
                Event(Answer.PAUSED, "401"),
                Phase.READY,
                "paused",
                "auth",
                None,
                refund=True,
                pause=True,
            ),
            Row(
                ch,
                sending(),
                Event(Answer.TRANSIENT, "file gone", label="image"),
                Phase.READY,
                "retry",
                "image",
                backoff(1),
            ),
            Row(
                ch,
                sending(),
                Event(Answer.REFUSED, "too big", label="image"),
                Phase.FAILED,
                "failed",
                "image",
                None,
            ),
            # Lookup answers on a post that may be out.
            Row(ch, unknown(5), Event(Answer.FOUND), Phase.POSTED, "settled", "settled", None),
            Row(
                ch,
                unknown(3600),
                Event(Answer.NOT_THERE),
                Phase.READY,
                "retry",
                "settled-not-posted",
                None,
            ),
            Row(
                ch,
                unknown(3600, attempts=3),
                Event(Answer.NOT_THERE),
                Phase.FAILED,
                "failed",
                "settled-not-posted",
                None,
            ),
            Row(
                ch,
                unknown(5),
                Event(Answer.CANNOT_TELL, "503"),
                Phase.UNKNOWN,
                "retry",
                "lookup-failed",
                backoff(1),
            ),
            Row(
                ch,
                unknown(5, failures=1),
                Event(Answer.CANNOT_TELL, "503"),
                Phase.UNKNOWN,
                "retry",
                "lookup-failed",
                backoff(2),
            ),
            Row(
                ch,
                unknown(5, failures=1),
                Event(Answer.CANNOT_TELL, "429", RESET),
                Phase.UNKNOWN,
                "retry",
                "lookup-failed",
                RESET - NOW,
            ),
            Row(
                ch,
                unknown(5, failures=2),
                Event(Answer.CANNOT_TELL, "503"),
                Phase.DECISION,
                "needs-decision",
                "needs-decision",
                DECISION_RELOOK_FIRST,
            ),
            Row(
                ch,
                unknown(5),
                Event(Answer.RATE_LIMITED, "429", RESET),
                Phase.UNKNOWN,
                "waiting",
                None,
                RESET - NOW,
            ),
            Row(
                ch,
                unknown(5),
                Event(Answer.PAUSED, "401"),
                Phase.UNKNOWN,
                "paused",
                None,
                timedelta(0),
                pause=True,
            ),
            # Awaiting a decision: looked up again by itself, settled when the platform answers.
            Row(
                ch,
                deciding(timedelta(hours=3)),
                Event(Answer.FOUND),
                Phase.POSTED,
                "settled",
                "settled",
                None,
            ),
            Row(
                ch,
                deciding(timedelta(hours=3)),
                Event(Answer.NOT_THERE),
                Phase.READY,
                "retry",
                "settled-not-posted",
                None,
            ),
            Row(
                ch,
                deciding(timedelta(hours=3)),
                Event(Answer.CANNOT_TELL, "503"),
                Phase.DECISION,
                "needs-decision",
                None,
                timedelta(hours=3),
            ),
            Row(
                ch,
                deciding(timedelta(minutes=1)),
                Event(Answer.CANNOT_TELL, "503"),
                Phase.DECISION,
                "needs-decision",
                None,
                DECISION_RELOOK_FIRST,
            ),
            Row(
                ch,
                deciding(timedelta(days=5)),
                Event(Answer.CANNOT_TELL, "503"),
                Phase.DECISION,
                "needs-decision",
                None,
                DECISION_RELOOK_MAX,
            ),
        )
    ],
    # -- X and Mastodon: a lost request may still land, so "not there" right after the send
    # proves nothing: looked up again once the grace is over (no attempt recorded).
    Row("x", unknown(5), Event(Answer.NOT_THERE), Phase.UNKNOWN, "retry", None, 55 * S),
    Row("mastodon", unknown(5), Event(Answer.NOT_THERE), Phase.UNKNOWN, "retry", None, 55 * S),
    Row(
        "mastodon",
        unknown(60),
        Event(Answer.NOT_THERE),
        Phase.READY,
        "retry",
        "settled-not-posted",
        None,
    ),
    # Bluesky: a record key exists once, a late request cannot post twice: no grace.
    Row(
        "bluesky",
        unknown(0),
        Event(Answer.NOT_THERE),
        Phase.READY,
        "retry",
        "settled-not-posted",
        None,
    ),
    # -- X: "duplicate content" may be our own lost post: look first; not ours → failed.
    Row(
        "x",
        sending(),
        Event(Answer.DUPLICATE, "dup"),
        Phase.UNKNOWN,
        "retry",
        "duplicate",
        timedelta(0),
    ),
    Row("x", unknown(90, dup=True), Event(Answer.FOUND), Phase.POSTED, "settled", "settled", None),
    Row(
        "x",
        unknown(90, dup=True),
        Event(Answer.NOT_THERE),
        Phase.FAILED,
        "failed",
        "settled-not-posted",
        None,
    ),
    # -- X: an access level that cannot read (error 453): a decision at once, looked up again.
    Row(
        "x",
        unknown(5),
        Event(Answer.CANNOT_LOOK, "453"),
        Phase.DECISION,
        "needs-decision",
        "needs-decision",
        DECISION_RELOOK_FIRST,
    ),
    Row(
        "x",
        deciding(timedelta(minutes=30)),
        Event(Answer.CANNOT_LOOK, "453"),
        Phase.DECISION,
        "needs-decision",
        None,
        timedelta(minutes=30),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.channel}-{r.state.phase}-{r.event.answer}")
def test_every_answer_on_every_channel_leads_where_the_table_says(row: Row) -> None:
    step = next_step(row.state, row.event, policy(row.channel), NOW)
    assert step.phase is row.phase
    assert (step.result, step.record) == (row.result, row.record)
    expected = None if row.retry_in is None else NOW + row.retry_in
    assert step.retry_at == expected
    assert (step.refund, step.pause) == (row.refund, row.pause)
    assert step.look_first == (row.phase in (Phase.UNKNOWN, Phase.DECISION))


@pytest.mark.parametrize("channel", ["x", "bluesky", "mastodon"])
def test_nothing_that_may_be_out_is_ever_ready_to_send_without_a_lookup(channel: str) -> None:
    """The exactly-once rule: an answer that may hide a post leaves it UNKNOWN (look first),
    and the only way from UNKNOWN or DECISION to READY is a lookup that said "not there"."""
    lookups = {Answer.FOUND, Answer.NOT_THERE, Answer.CANNOT_TELL, Answer.CANNOT_LOOK}
    for answer in Answer:
        if answer in lookups:
            with pytest.raises(ValueError, match="does not answer a post that is sending"):
                next_step(sending(), Event(answer, "m"), policy(channel), NOW)
            continue
        step = next_step(sending(), Event(answer, "m"), policy(channel), NOW)
        if answer in (Answer.UNKNOWN, Answer.DUPLICATE):
            assert step.look_first and step.phase is Phase.UNKNOWN
    for state in (unknown(3600), unknown(3600, dup=True), deciding(timedelta(hours=1))):
        for answer in Answer:
            if answer not in lookups | {Answer.RATE_LIMITED, Answer.PAUSED}:
                with pytest.raises(ValueError, match="does not answer"):
                    next_step(state, Event(answer, "m"), policy(channel), NOW)
                continue
            step = next_step(state, Event(answer, "m"), policy(channel), NOW)
            if step.phase is Phase.READY:
                assert answer is Answer.NOT_THERE


def test_the_rate_limit_and_pause_reach_the_channel() -> None:
    step = next_step(sending(), Event(Answer.RATE_LIMITED, "429"), policy("x"), NOW)
    assert step.rate_limited_until == NOW + timedelta(minutes=15)
    step = next_step(unknown(5), Event(Answer.RATE_LIMITED, "429", RESET), policy("x"), NOW)
    assert step.rate_limited_until == RESET


def test_decisions_are_looked_up_again_further_and_further_apart() -> None:
    since = NOW
    looks = []
    moment = since + relook_delay(since, since)
    for _ in range(10):
        looks.append(moment)
        moment += relook_delay(since, moment)
    gaps = [b - a for a, b in itertools.pairwise(looks)]
    assert looks[0] - since == DECISION_RELOOK_FIRST
    assert gaps[:4] == [timedelta(minutes=m) for m in (15, 30, 60, 120)]
    assert max(gaps) == DECISION_RELOOK_MAX


def test_the_messages_say_why() -> None:
    step = next_step(
        unknown(5, failures=2),
        Event(Answer.CANNOT_TELL, "503 Service Unavailable"),
        policy("mastodon"),
        NOW,
    )
    assert step.message == (
        "mastodon failed 3 times in a row to show the account's posts "
        "(last: 503 Service Unavailable)"
    )
    step = next_step(sending(3), Event(Answer.TRANSIENT, "503"), policy("x"), NOW)
    assert step.message == "gave up after 3 attempts: 503"
    step = next_step(unknown(5), Event(Answer.NOT_THERE), policy("x"), NOW)
    assert "looked up again at 2026-12-07T09:00:55+00:00" in step.message
    last = PostState(Phase.UNKNOWN, 3, NOW - 5 * S, send_error="500 server error")
    step = next_step(last, Event(Answer.NOT_THERE), policy("x"), NOW)
    assert step.message == "gave up after 3 attempts: 500 server error"
