"""What happens after each answer: the one place that decides a post's next state.

A post's trip is a series of answers: from a send (posted, refused, a transient failure, an
unknown outcome, a rate limit, rejected credentials) and from a lookup (the post is there, it is
not, the lookup could not tell this time, the lookup can never be made now). ``next_step`` maps
(post state, answer) to (next phase, attempt to record, retry time, whether a lookup must come
first), the same way on every channel; bot/posting/publisher.py calls it once per answer and
bot/posting/recording.py writes what it says. Pure: no database, no network, time is passed in.

The rule that makes paperbot exactly-once on every server: after any answer that may hide a
post (an unknown outcome, X's "duplicate content"), the post is ``UNKNOWN`` and nothing is sent
again until a lookup said it is not there. A request key (Bluesky's record key, Mastodon's
Idempotency-Key) is a help, never a proof: some servers ignore it, Mastodon forgets it after an
hour. When no lookup can tell, the post waits for a decision (``paperbot resolve``) and is
looked up again by itself, backing off, until one can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.posting.outcome import RetryPolicy

__all__ = [
    "DECISION_RELOOK_FIRST",
    "DECISION_RELOOK_MAX",
    "LOOKUP_OUTCOMES",
    "Answer",
    "Event",
    "Phase",
    "Policy",
    "PostState",
    "Step",
    "next_step",
]

# A post awaiting a decision is looked up again this long after the decision was asked for,
# then after as long again as it has waited (15 min, 30 min, 1 h, 2 h ...), at most daily: X
# bills every read.
DECISION_RELOOK_FIRST = timedelta(minutes=15)
DECISION_RELOOK_MAX = timedelta(hours=24)
# How long to wait for a platform that rate-limits without saying until when.
RATE_LIMIT_WAIT = timedelta(minutes=15)

#: Attempt outcomes that record a lookup (or a decision), not a send.
LOOKUP_OUTCOMES = frozenset(
    {
        "settled",
        "settled-not-posted",
        "lookup-failed",
        "needs-decision",
        "resolved-posted",
        "resolved-not-posted",
    }
)


class Phase(StrEnum):
    READY = "ready"  # may be sent (when its retry time comes)
    SENDING = "sending"  # claimed, the request under way
    UNKNOWN = "unknown"  # may be out: a lookup comes before any send
    DECISION = "decision"  # may be out, no lookup can tell: the operator decides
    POSTED = "posted"
    FAILED = "failed"


class Answer(StrEnum):
    # to a send
    POSTED = "posted"
    REFUSED = "refused"  # never accepted as it is (invalid, an image that can never fit)
    DUPLICATE = "duplicate"  # X: this text is on the account already (ours, maybe)
    TRANSIENT = "transient"  # failed before anything could be posted
    UNKNOWN = "unknown"  # lost answer, 5xx after sending, timeout, process killed
    # to a send or a lookup
    RATE_LIMITED = "rate_limited"
    PAUSED = "paused"  # credentials rejected: the channel pauses
    # to a lookup
    FOUND = "found"
    NOT_THERE = "not_there"
    CANNOT_TELL = "cannot_tell"  # this time (a failure, or the read could not cover the window)
    CANNOT_LOOK = "cannot_look"  # not now, nor soon (X error 453: the access level cannot read)


SEND_ANSWERS = frozenset(
    {Answer.POSTED, Answer.REFUSED, Answer.DUPLICATE, Answer.TRANSIENT, Answer.UNKNOWN}
)


@dataclass(frozen=True)
class PostState:
    """What the lifecycle needs to know of a post (bot/posting/recording.py reads it)."""

    phase: Phase
    attempts: int  # sends counted so far, the one being answered included
    last_send: datetime | None = None  # when the latest send began
    lookup_failures: int = 0  # failed lookups in a row
    duplicate: bool = False  # the send that left it unknown was answered "duplicate"
    decision_since: datetime | None = None
    send_error: str = ""  # how the latest send ended, for "gave up" messages


@dataclass(frozen=True)
class Event:
    """An answer, with what came with it."""

    answer: Answer
    message: str = ""
    retry_at: datetime | None = None  # the platform's own (a rate limit's reset)
    label: str | None = None  # the attempt's outcome when not the answer's usual one
    status_code: int | None = None  # the HTTP status, for history


@dataclass(frozen=True)
class Policy:
    """How a channel's posts retry. ``grace``: how long after a send a lost request may still
    land (absence proves nothing before); zero where a repeat of the key cannot post twice."""

    retry: RetryPolicy
    grace: timedelta
    channel: str = ""
    key: int = 0  # the entry id: spreads retries (deterministic jitter)


@dataclass(frozen=True)
class Step:
    """What to do after one answer. ``record``: the attempt outcome to write (None: none);
    ``retry_at``: the next send (READY) or the next lookup (UNKNOWN, DECISION)."""

    phase: Phase
    result: str  # the Outcome reported: posted, settled, retry, failed, waiting, needs-decision
    record: str | None
    message: str
    retry_at: datetime | None = None
    refund: bool = False  # the attempt does not count (a wait or a pause is not the post's)
    pause: bool = False  # pause the channel (credentials rejected)
    rate_limited_until: datetime | None = None  # the channel waits until then

    @property
    def look_first(self) -> bool:
        return self.phase in (Phase.UNKNOWN, Phase.DECISION)


def next_step(state: PostState, event: Event, policy: Policy, now: datetime) -> Step:
    """The post's next state after ``event``; called once per answer."""
    answer = event.answer
    if answer is Answer.RATE_LIMITED:
        until = event.retry_at or now + RATE_LIMIT_WAIT
        sending = state.phase is Phase.SENDING
        return Step(
            Phase.READY if sending else state.phase,
            "waiting",
            "rate_limited" if sending else None,
            event.message,
            until,
            refund=sending,
            rate_limited_until=until,
        )
    if answer is Answer.PAUSED:
        sending = state.phase is Phase.SENDING
        return Step(
            Phase.READY if sending else state.phase,
            "paused",
            "auth" if sending else None,
            event.message,
            None if sending else now,
            refund=sending,
            pause=True,
        )
    if (answer in SEND_ANSWERS) != (state.phase is Phase.SENDING):
        # A send's answer for a post not being sent (or a lookup's for one in flight) would
        # skip the lookup that must come first: a caller's mistake, never guessed around.
        raise ValueError(f"{answer.value!r} does not answer a post that is {state.phase.value}")
    if answer in SEND_ANSWERS:
        return _after_send(state, event, policy, now)
    return _after_lookup(state, event, policy, now)


def _after_send(state: PostState, event: Event, policy: Policy, now: datetime) -> Step:
    answer, message = event.answer, event.message
    label = event.label or answer.value
    if answer is Answer.POSTED:
        return Step(Phase.POSTED, "posted", label, "")
    if answer is Answer.REFUSED:
        return Step(Phase.FAILED, "failed", event.label or "invalid", message)
    if answer in (Answer.UNKNOWN, Answer.DUPLICATE):
        return Step(Phase.UNKNOWN, "retry", label, f"outcome unknown: {message}", now)
    if state.attempts >= policy.retry.max_attempts:  # TRANSIENT
        return Step(
            Phase.FAILED, "failed", label, f"gave up after {state.attempts} attempts: {message}"
        )
    retry_at = event.retry_at or now + policy.retry.delay(policy.key, state.attempts)
    return Step(Phase.READY, "retry", label, message, retry_at)


def _after_lookup(state: PostState, event: Event, policy: Policy, now: datetime) -> Step:
    answer, deciding = event.answer, state.phase is Phase.DECISION
    if answer is Answer.FOUND:
        return Step(Phase.POSTED, "settled", "settled", "")
    if answer is Answer.NOT_THERE:
        return _not_there(state, policy, now)
    if deciding:  # still nobody can tell: look again later, nothing new to record
        return Step(
            Phase.DECISION,
            "needs-decision",
            None,
            event.message,
            now + relook_delay(state.decision_since, now),
        )
    if answer is Answer.CANNOT_LOOK:
        return _decision(event.message, now)
    failures = state.lookup_failures + 1  # CANNOT_TELL
    if failures >= policy.retry.max_attempts:
        why = (
            f"{policy.channel} failed {failures} times in a row to show the account's posts "
            f"(last: {event.message})"
        )
        return _decision(why, now)
    retry_at = event.retry_at or now + policy.retry.delay(policy.key, failures)
    return Step(Phase.UNKNOWN, "retry", "lookup-failed", event.message, retry_at)


def _not_there(state: PostState, policy: Policy, now: datetime) -> Step:
    if state.duplicate:  # X has the text now, and it is not ours: nothing is in flight
        return Step(
            Phase.FAILED,
            "failed",
            "settled-not-posted",
            f"{state.send_error or 'refused as a duplicate'} (no matching post on the account; "
            "edit the comment and `paperbot retry` it)",
        )
    if state.attempts >= policy.retry.max_attempts:  # nothing is sent again: no need to wait
        return Step(
            Phase.FAILED,
            "failed",
            "settled-not-posted",
            f"gave up after {state.attempts} attempts: "
            f"{state.send_error or 'the last one did not post'}",
        )
    if state.phase is not Phase.DECISION and state.last_send is not None:
        ready = state.last_send + policy.grace
        if now < ready:
            # The lost request may still land: absence proves nothing yet. Look again then.
            return Step(
                Phase.UNKNOWN,
                "retry",
                None,
                f"outcome unknown: not there yet, looked up again at {ready.isoformat()}",
                ready,
            )
    return Step(Phase.READY, "retry", "settled-not-posted", "", None)


def _decision(why: str, now: datetime) -> Step:
    return Step(
        Phase.DECISION, "needs-decision", "needs-decision", why, now + DECISION_RELOOK_FIRST
    )


def relook_delay(since: datetime | None, now: datetime) -> timedelta:
    """How long until a post awaiting a decision is looked up again: as long as it has waited
    (so the looks double apart), within DECISION_RELOOK_FIRST and DECISION_RELOOK_MAX."""
    waited = now - since if since is not None else DECISION_RELOOK_FIRST
    return max(DECISION_RELOOK_FIRST, min(DECISION_RELOOK_MAX, waited))
