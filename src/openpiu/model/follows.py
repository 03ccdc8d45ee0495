"""Follows: an analyst's standing watch on a confirmed traveller identity (issue 7).

While a follow is active, every new booking or push that names an occurrence of the identity raises a hit
for the analyst who follows it (`HitKind.FOLLOW`), decided like any other hit. A follow has a legal basis
(the Directive article or the case it serves), an end it cannot outlive (a term bounded by the PIU's
setting), and a review date before that end; reviewing extends it with a reason, ending it stops it. What
happened to a follow is kept as append-only events: who started, reviewed or ended it, when and why.

Only a *confirmed* identity may be followed: one an analyst judged (an `identity link` judgement among its
occurrences) or one with a hit an analyst confirmed. Resolution alone (documents, names, dates of birth)
is a machine's guess, and a follow must not rest on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from openpiu.model.record import record

__all__ = [
    "DEFAULT_MAX_DAYS",
    "REVIEW_NOTICE",
    "Follow",
    "FollowEvent",
    "FollowEventKind",
    "FollowState",
    "FollowTerms",
    "follow_terms",
]

#: The longest a follow may run before it is reviewed again (``OPENPIU_FOLLOW_MAX_DAYS``).
DEFAULT_MAX_DAYS = 90
#: A follow is due for review this long before it expires (at most half its term).
REVIEW_NOTICE = timedelta(days=7)


class FollowState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"  # an analyst or supervisor ended it, with a reason
    EXPIRED = "expired"  # its term ran out without a review: it raises nothing and waits for a review


class FollowEventKind(StrEnum):
    STARTED = "started"
    REVIEWED = "reviewed"  # reviewed, and extended to a new end
    ENDED = "ended"


@record
class FollowTerms:
    """When a follow (or its extension) ends and when it is due for review."""

    expires_at: datetime
    review_at: datetime


def follow_terms(now: datetime, days: int, *, max_days: int = DEFAULT_MAX_DAYS) -> FollowTerms:
    """The end and review date of a follow started or extended at ``now`` for ``days`` days.

    ValueError when ``days`` is not between 1 and ``max_days``: a follow never runs open-ended."""
    if max_days < 1:
        raise ValueError(f"the longest term of a follow must be at least one day, not {max_days}")
    if not 1 <= days <= max_days:
        raise ValueError(f"a follow runs 1 to {max_days} days before it is reviewed, not {days}")
    term = timedelta(days=days)
    return FollowTerms(expires_at=now + term, review_at=now + term - min(REVIEW_NOTICE, term / 2))


@record
class Follow:
    """A follow as it stands now (its events say how it got here)."""

    id: int
    identity_id: int  # the identity followed now (an identity merged into another is followed there)
    followed_by: str  # who follows it, as the audit log names them: the hits are theirs
    legal_basis: str
    reason: str
    created_at: datetime
    expires_at: datetime
    review_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    #: How the identity was confirmed when the follow started ("judgement 3", "hit 12 confirmed").
    grounds: str = ""

    def state(self, now: datetime) -> FollowState:
        if self.ended_at is not None:
            return FollowState.ENDED
        return FollowState.ACTIVE if now < self.expires_at else FollowState.EXPIRED

    def active(self, now: datetime) -> bool:
        return self.state(now) is FollowState.ACTIVE

    def due_for_review(self, now: datetime) -> bool:
        """Not ended, and its review date has come (an expired follow is overdue)."""
        return self.ended_at is None and now >= self.review_at

    @property
    def source_id(self) -> str:
        """How its hits name it (the hit's source)."""
        return f"follow:{self.id}"


@record
class FollowEvent:
    """One thing that happened to a follow: appended, never changed."""

    id: int
    follow_id: int
    kind: FollowEventKind
    actor: str
    reason: str
    at: datetime
    expires_at: datetime | None = None  # the end it set (started, reviewed)
