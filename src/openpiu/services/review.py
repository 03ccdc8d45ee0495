"""Use cases of the analyst's review: the hit queue, one hit with everything needed to decide it, and the
decision itself.

Nothing here decides for the analyst (Directive 2016/681 Art 6(5)-(6)): a hit stays open until a person
confirms or dismisses it with a reason, and a later decision (with its own reason) supersedes, never
erases, an earlier one. Every call that shows personal data (the queue names travellers; a hit shows the
traveller, the booking and the watchlist entry) is recorded in the audit log first, with who asked and
why (Art 13): a read that cannot be audited is not served.

The web layer checks what the user's role allows before calling; `actor` is the user's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpiu.model import Decision, DecisionOutcome, Traveller, WatchlistEntry
from openpiu.store import (
    CriterionSpec,
    HitQuery,
    HitState,
    NotFound,
    QueueItem,
    Store,
    StoredApiPerson,
    StoredBooking,
    StoredDecision,
    StoredFlight,
    StoredHit,
    StoredTraveller,
    StoredWatchlist,
)

__all__ = [
    "HitDetail",
    "HitQuery",
    "HitState",
    "HitTakenOver",
    "NoSuchHit",
    "QueueItem",
    "QueuePage",
    "Review",
]

#: What a queue page shows at most (a queue is worked from its head; the total says how many wait).
MAX_PAGE = 500


class NoSuchHit(NotFound):
    """The hit asked for does not exist."""


class HitTakenOver(ValueError):
    """The hit (an API person's) was taken over by the hit of the traveller the person was merged with:
    that hit is decided now."""

    def __init__(self, hit_id: int, by: int) -> None:
        super().__init__(
            f"hit {hit_id} was taken over by hit {by} (the same person, now with a booking): decide that one"
        )
        self.hit_id, self.by = hit_id, by


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    total: int  # how many hits the query finds in all
    query: HitQuery


@dataclass(frozen=True, slots=True)
class HitDetail:
    """A hit with what an analyst needs beside it to decide."""

    hit: StoredHit
    flight: StoredFlight | None
    booking: StoredBooking | None  # the booking's current version
    traveller: StoredTraveller | None  # the traveller row screened
    co_travellers: tuple[Traveller, ...]  # the others of the booking's current version
    api_person: StoredApiPerson | None
    watchlist: StoredWatchlist | None  # the list version the hit was raised against
    entry: WatchlistEntry | None
    criterion: CriterionSpec | None
    decisions: list[StoredDecision]  # oldest first, with those on the hits it took over; the last holds
    taken_over: list[StoredHit]  # the API person's hits it took over (the list came before the booking)

    @property
    def outcome(self) -> DecisionOutcome | None:
        return self.decisions[-1].decision.outcome if self.decisions else None


class Review:
    """The analyst's use cases on one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def queue(self, actor: str, query: HitQuery | None = None) -> QueuePage:
        """The hits in working order (open ones unless the query says otherwise); an audited read."""
        query = query or HitQuery()
        if not 0 < query.limit <= MAX_PAGE:
            raise ValueError(f"a queue page shows 1 to {MAX_PAGE} hits")
        self.store.record(
            actor=actor,
            action="hits.queue.read",
            subject="hits",
            reason="work the hit queue",
            details={
                "state": HitState(query.state).value,
                "priority": query.priority,
                "offset": query.offset,
                "limit": query.limit,
            },
        )
        with self.store.reading():
            return QueuePage(self.store.hit_queue(query), self.store.count_hits(query), query)

    def detail(self, actor: str, hit_id: int) -> HitDetail:
        """One hit with its traveller, booking, flight, list entry or criterion and decisions; audited."""
        store = self.store
        hit = store.hit(hit_id)
        if hit is None:
            raise NoSuchHit(f"no hit {hit_id}")
        store.record(actor=actor, action="hit.read", subject=f"hit:{hit_id}", reason="review the hit")
        with store.reading():
            return self._detail(hit)

    def _detail(self, hit: StoredHit) -> HitDetail:
        store = self.store
        hit_id = hit.id
        found = hit.hit
        booking = None if found.booking_id is None else store.booking(found.booking_id)
        traveller = None if found.traveller_id is None else store.traveller(found.traveller_id)
        co_travellers: tuple[Traveller, ...] = ()
        if booking is not None and traveller is not None:
            co_travellers = tuple(
                t for position, t in enumerate(booking.booking.travellers) if position != traveller.position
            )
        watchlist = entry = None
        criterion = None
        if found.list_id is not None:
            watchlist = next(
                (
                    w
                    for w in store.watchlists()
                    if w.watchlist.list_id == found.list_id and w.watchlist.version == found.source_version
                ),
                None,
            )
            entry = store.watchlist_entry(found.list_id, found.source_version, found.source_id)
        else:
            criterion = store.criterion(found.source_id, found.source_version)
        return HitDetail(
            hit=hit,
            flight=None if found.flight_id is None else store.flight(found.flight_id),
            booking=booking,
            traveller=traveller,
            co_travellers=co_travellers,
            api_person=None if found.api_person_id is None else store.api_person(found.api_person_id),
            watchlist=watchlist,
            entry=entry,
            criterion=criterion,
            decisions=store.decisions(hit_id),
            taken_over=store.taken_over(hit_id),
        )

    def decide(self, actor: str, hit_id: int, outcome: DecisionOutcome, reason: str) -> StoredDecision:
        """Confirm or dismiss a hit with a reason (a later decision supersedes; both are kept)."""
        reason = reason.strip()
        if not reason:
            raise ValueError("a decision needs a reason a person can read")
        hit = self.store.hit(hit_id)
        if hit is None:
            raise NoSuchHit(f"no hit {hit_id}")
        if hit.superseded_by is not None:
            raise HitTakenOver(hit_id, hit.superseded_by)
        # the store writes the decision and its audit event in one transaction
        return self.store.decide(Decision(hit_id, DecisionOutcome(outcome), reason, actor))
