"""Use cases of follows (issue 7): an analyst follows a confirmed identity, reviews the follow before it
expires, ends it; the follows are listed with their review dates.

Only a confirmed identity may be followed (see openpiu.model.follows): the store says how it was confirmed,
and that is kept with the follow. A follow needs a legal basis and a reason, and runs a bounded term
(``OPENPIU_FOLLOW_MAX_DAYS``, 90 days by default). Starting, reviewing and ending are audited with the
follow; listing follows names identities and who follows them, so it is audited too. An analyst manages
their own follows; a supervisor any.

`openpiu follow add|list|review|end` and the follows pages call these; see docs/analysts.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpiu.clock import Clock
from openpiu.model import HitKind
from openpiu.model.follows import DEFAULT_MAX_DAYS, Follow, FollowEvent, FollowState, follow_terms
from openpiu.services.identity import NoSuchIdentity
from openpiu.store import (
    HitQuery,
    InvalidTransition,
    NotFound,
    QueueItem,
    Store,
    StoreError,
    open_store,
)

__all__ = [
    "DEFAULT_REVIEW_DAYS",
    "FollowDesk",
    "FollowRefused",
    "FollowView",
    "NoSuchFollow",
    "end_follow",
    "list_follows",
    "review_follow",
    "start_follow",
]

#: The term a review extends a follow by when none is given.
DEFAULT_REVIEW_DAYS = 30
#: The most waiting hits of follows listed at once.
_WAITING = 500


class NoSuchFollow(NotFound):
    """No follow with that id."""


class FollowRefused(StoreError):
    """A follow that may not be started or changed: the identity is not confirmed, the follow has ended, or
    it is someone else's and the actor is no supervisor."""


@dataclass(frozen=True, slots=True)
class FollowView:
    """A follow and where it stands at the time it was read."""

    follow: Follow
    state: FollowState
    due_for_review: bool
    events: tuple[FollowEvent, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The `openpiu follow list --json` line: keys are added, never renamed."""
        f = self.follow
        return {
            "follow": f.id,
            "identity": f.identity_id,
            "followed_by": f.followed_by,
            "legal_basis": f.legal_basis,
            "reason": f.reason,
            "grounds": f.grounds,
            "created_at": f.created_at.isoformat(),
            "expires_at": f.expires_at.isoformat(),
            "review_at": f.review_at.isoformat(),
            "state": self.state.value,
            "due_for_review": self.due_for_review,
            "ended_at": None if f.ended_at is None else f.ended_at.isoformat(),
            "end_reason": f.end_reason,
            "events": [
                {
                    "kind": e.kind.value,
                    "actor": e.actor,
                    "reason": e.reason,
                    "at": e.at.isoformat(),
                    "expires_at": None if e.expires_at is None else e.expires_at.isoformat(),
                }
                for e in self.events
            ],
        }


def _required(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ValueError(f"a follow needs {what}")
    return cleaned


class FollowDesk:
    """The follow use cases on one store, for one actor at a time."""

    def __init__(self, store: Store, clock: Clock, *, max_days: int = DEFAULT_MAX_DAYS) -> None:
        self.store = store
        self.clock = clock
        self.max_days = max_days

    def view(self, follow: Follow, *, events: bool = False) -> FollowView:
        now = self.clock.now()
        found = tuple(self.store.follow_events(follow.id)) if events else ()
        return FollowView(follow, follow.state(now), follow.due_for_review(now), found)

    def start(self, actor: str, identity_id: int, *, legal_basis: str, reason: str, days: int) -> Follow:
        """Follow a confirmed identity for ``days`` days (ValueError for a missing basis or reason or a term
        out of bounds; NoSuchIdentity; FollowRefused when the identity is not confirmed)."""
        basis = _required(legal_basis, "a legal basis (the Directive article, the case reference)")
        why = _required(reason, "a reason")
        terms = follow_terms(self.clock.now(), days, max_days=self.max_days)
        try:
            grounds = self.store.follow_grounds(identity_id)
        except NotFound as error:
            raise NoSuchIdentity(str(error)) from error
        if grounds is None:
            raise FollowRefused(
                f"identity {identity_id} is not confirmed: only an identity an analyst linked, or one with a "
                "confirmed hit, may be followed"
            )
        try:
            return self.store.start_follow(
                identity_id,
                actor=actor,
                legal_basis=basis,
                reason=why,
                expires_at=terms.expires_at,
                review_at=terms.review_at,
                grounds=grounds,
            )
        except NotFound as error:
            raise NoSuchIdentity(str(error)) from error

    def _own(self, actor: str, follow_id: int, *, supervisor: bool) -> Follow:
        found = self.store.follow(follow_id)
        if found is None:
            raise NoSuchFollow(f"no follow {follow_id}")
        if not supervisor and found.followed_by != actor:
            raise FollowRefused(f"follow {follow_id} is {found.followed_by}'s: a supervisor may change it")
        return found

    def review(
        self, actor: str, follow_id: int, *, reason: str, days: int | None = None, supervisor: bool = False
    ) -> Follow:
        """Review the follow and run it ``days`` more days from now (an expired one starts again)."""
        why = _required(reason, "a reason for the review")
        terms = follow_terms(
            self.clock.now(),
            min(self.max_days, DEFAULT_REVIEW_DAYS) if days is None else days,
            max_days=self.max_days,
        )
        self._own(actor, follow_id, supervisor=supervisor)
        try:
            return self.store.review_follow(
                follow_id, actor=actor, reason=why, expires_at=terms.expires_at, review_at=terms.review_at
            )
        except InvalidTransition as error:
            raise FollowRefused(str(error)) from error

    def end(self, actor: str, follow_id: int, *, reason: str, supervisor: bool = False) -> Follow:
        why = _required(reason, "a reason to end it")
        self._own(actor, follow_id, supervisor=supervisor)
        try:
            return self.store.end_follow(follow_id, actor=actor, reason=why)
        except InvalidTransition as error:
            raise FollowRefused(str(error)) from error

    def follows(
        self, actor: str, *, followed_by: str | None = None, include_ended: bool = False, events: bool = False
    ) -> list[FollowView]:
        """The follows (one follower's, or all), soonest review first; the read is audited."""
        found = self.store.follows(followed_by=followed_by, include_ended=include_ended)
        self.store.record(
            actor=actor,
            action="follows.read",
            subject="follows" if followed_by is None else f"follows of {followed_by}",
            reason="review of follows",
            details={"follows": len(found)},
        )
        return [self.view(follow, events=events) for follow in found]

    def hits_waiting(self, actor: str, follows: list[Follow]) -> list[QueueItem]:
        """The hits of these follows waiting for a decision, in queue order (an audited read of the queue)."""
        sources = {f.source_id for f in follows}
        if not sources:
            return []
        self.store.record(
            actor=actor,
            action="hits.queue.read",
            subject="hits",
            reason="the hits of followed identities",
            details={"kind": HitKind.FOLLOW.value, "follows": len(sources)},
        )
        items = self.store.hit_queue(HitQuery(kind=HitKind.FOLLOW, limit=_WAITING))
        return [item for item in items if item.hit.hit.source_id in sources]


# --- by database URL, for the command line -------------------------------------------------------------


def start_follow(
    url: str,
    identity_id: int,
    *,
    clock: Clock,
    actor: str,
    legal_basis: str,
    reason: str,
    days: int,
    max_days: int = DEFAULT_MAX_DAYS,
) -> FollowView:
    store = open_store(url, clock=clock)
    try:
        desk = FollowDesk(store, clock, max_days=max_days)
        return desk.view(desk.start(actor, identity_id, legal_basis=legal_basis, reason=reason, days=days))
    finally:
        store.close()


def review_follow(
    url: str,
    follow_id: int,
    *,
    clock: Clock,
    actor: str,
    reason: str,
    days: int | None = None,
    max_days: int = DEFAULT_MAX_DAYS,
) -> FollowView:
    """At the console the operator holds the database: they act as a supervisor."""
    store = open_store(url, clock=clock)
    try:
        desk = FollowDesk(store, clock, max_days=max_days)
        return desk.view(desk.review(actor, follow_id, reason=reason, days=days, supervisor=True))
    finally:
        store.close()


def end_follow(url: str, follow_id: int, *, clock: Clock, actor: str, reason: str) -> FollowView:
    store = open_store(url, clock=clock)
    try:
        desk = FollowDesk(store, clock)
        return desk.view(desk.end(actor, follow_id, reason=reason, supervisor=True))
    finally:
        store.close()


def list_follows(url: str, *, clock: Clock, actor: str, include_ended: bool = False) -> list[FollowView]:
    store = open_store(url, clock=clock)
    try:
        return FollowDesk(store, clock).follows(actor, include_ended=include_ended, events=True)
    finally:
        store.close()
