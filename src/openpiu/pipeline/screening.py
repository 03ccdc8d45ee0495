"""Screening in the pipeline: every stored push's travellers against the active watchlists and criteria.

The stage keeps one `Screener` (the watchlists' indexes) and the parsed active criteria, and rebuilds them
when a list or a criterion changes (`refresh`); a change also re-screens the flights not departed yet
(`rescreen`). A traveller's hits are stored through the store's `Hits`: one per traveller, booking and
entry or criterion, updated by a re-push instead of doubled. Nothing here decides anything: hits wait for
an analyst (Directive Art 6(5)-(6)).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from openpiu.clock import Clock
from openpiu.model import Flight, Hit, HitKind, ScreenedPerson, Traveller, Watchlist
from openpiu.screening.criteria import Criterion, evaluate, parse_criteria
from openpiu.screening.features import booking_features
from openpiu.screening.screen import Screener
from openpiu.store import (
    Bookings,
    Criteria,
    Hits,
    PassengerLists,
    StoredBooking,
    StoredTraveller,
    Watchlists,
)

__all__ = ["ScreeningStage", "ScreeningStore", "screened_person"]

_log = logging.getLogger(__name__)

#: Hits on lists of this category come first in the queue (an Annex II list is 2, a criterion its own).
_TERRORISM = "terrorism"


class ScreeningStore(Bookings, PassengerLists, Watchlists, Criteria, Hits, Protocol):
    """What screening needs of the store."""


def screened_person(key: str, traveller: Traveller) -> ScreenedPerson:
    """A traveller as the screener sees it: names as sent, and what the documents add."""
    documents = traveller.documents
    birth = traveller.date_of_birth or next((d.date_of_birth for d in documents if d.date_of_birth), None)
    nationality = next((d.nationality for d in documents if d.nationality), None)
    gender = traveller.gender or next((d.gender for d in documents if d.gender), None)
    return ScreenedPerson(
        ref=key,
        surname=traveller.surname,
        given_names=traveller.given_names,
        date_of_birth=birth,
        nationality=nationality,
        documents=tuple(d.number for d in documents if d.number),
        gender=gender,
    )


@dataclass(slots=True)
class ScreeningStage:
    store: ScreeningStore
    clock: Clock
    top: int = 5
    _signature: tuple[object, ...] | None = None
    _screener: Screener | None = None
    _lists: dict[str, Watchlist] = field(default_factory=dict)
    _criteria: tuple[Criterion, ...] = ()

    def refresh(self) -> bool:
        """Rebuild the indexes and criteria when the active lists or criteria changed; True if they did."""
        lists = self.store.watchlists(active_only=True)
        specs = self.store.active_criteria()
        signature = (
            tuple(w.id for w in lists),
            tuple((c.criterion_id, c.version, c.activated_at) for c in specs),
        )
        if signature == self._signature:
            return False
        self._screener = Screener([(w.watchlist, self.store.watchlist_entries(w.id)) for w in lists])
        self._lists = {w.watchlist.list_id: w.watchlist for w in lists}
        criteria: list[Criterion] = []
        for spec in specs:
            criteria.extend(parse_criteria(spec.source, source=f"criterion {spec.criterion_id}"))
        self._criteria = tuple(criteria)
        changed = self._signature is not None
        self._signature = signature
        _log.info("screening with %d watchlists and %d criteria", len(lists), len(criteria))
        return changed

    def screen_flight(self, flight_id: int, booking_ids: Iterable[int] | None = None) -> int:
        """Screen the flight's current travellers (of the given bookings, or all); the hits recorded."""
        self.refresh()
        if not self._criteria and (self._screener is None or not self._screener.lists):
            return 0  # nothing to screen against: the bookings are not even read
        stored = self.store.flight(flight_id)
        if stored is None:
            return 0
        wanted = None if booking_ids is None else set(booking_ids)
        bookings = {
            b.id: b
            for b in self.store.current_bookings(flight_id, include_cancelled=False)
            if wanted is None or b.id in wanted
        }
        travellers: dict[int, list[StoredTraveller]] = {}
        for traveller in self.store.current_travellers(flight_id):
            if traveller.booking_id in bookings:
                travellers.setdefault(traveller.booking_id, []).append(traveller)
        hits: list[Hit] = []
        for booking_id, stored_booking in bookings.items():
            rows = travellers.get(booking_id, [])
            hits.extend(self._watchlist_hits(stored.flight, flight_id, booking_id, rows, stored.flight_date))
            hits.extend(self._criteria_hits(stored.flight, flight_id, stored_booking, rows))
        if hits:
            counts = self.store.record_hits(hits)
            _log.info("flight %d: %d hits (%d new)", flight_id, len(hits), counts.new)
        return len(hits)

    def _watchlist_hits(
        self, flight: Flight, flight_id: int, booking_id: int, rows: list[StoredTraveller], day: date
    ) -> list[Hit]:
        screener = self._screener
        if screener is None or not screener.lists:
            return []
        hits = []
        for row in rows:
            key = row.traveller.ref or f"#{row.position}"
            for candidate in screener.screen(screened_person(key, row.traveller), on=day, top=self.top):
                if not candidate.alert:
                    continue
                listed = self._lists.get(candidate.list_id)
                priority = 1 if listed is not None and listed.category == _TERRORISM else 2
                hits.append(
                    Hit(
                        kind=HitKind.WATCHLIST,
                        flight_id=flight_id,
                        booking_id=booking_id,
                        traveller_key=key,
                        traveller_id=row.id,
                        source_id=candidate.entry_id,
                        source_version=candidate.list_version,
                        list_id=candidate.list_id,
                        score=candidate.score,
                        priority=priority,
                        explanation=candidate.explanation,
                    )
                )
        return hits

    def _criteria_hits(
        self, flight: Flight, flight_id: int, stored_booking: StoredBooking, rows: list[StoredTraveller]
    ) -> list[Hit]:
        if not self._criteria or not rows:
            return []
        # one feature record per traveller, in the booking's order (a stored traveller's position)
        features = booking_features(flight, stored_booking.booking, self.clock.now().date())
        hits = []
        for row in rows:
            if row.position >= len(features):
                continue
            key = row.traveller.ref or f"#{row.position}"
            for criterion in self._criteria:
                result = evaluate(criterion, features[row.position])
                if not result.matched:
                    continue
                hits.append(
                    Hit(
                        kind=HitKind.CRITERION,
                        flight_id=flight_id,
                        booking_id=stored_booking.id,
                        traveller_key=key,
                        traveller_id=row.id,
                        source_id=criterion.id,
                        source_version=criterion.version,
                        list_id=None,
                        score=1.0,
                        priority=criterion.priority,
                        explanation=result.evidence(),
                    )
                )
        return hits

    def rescreen(self, *, from_day: date) -> int:
        """Screen again every flight from ``from_day`` on (after a list or criterion changed)."""
        total = 0
        day = from_day
        for offset in range(3):  # the flights a PIU holds pushes for ahead: up to two days out
            for stored in self.store.find_flights(flight_date=date.fromordinal(day.toordinal() + offset)):
                total += self.screen_flight(stored.id)
        return total
