"""An identity's journeys from the store (issue 7): its occurrences' bookings, read in one query, chained
into journeys with broken travel flagged (`openpiu.analysis.journeys`).

A booking is read in its current version: the latest version decides which legs it still holds, and one a
full push no longer listed counts as cancelled. Bookings are told apart by their locator, as the carrier
knows them (the same booking stored on each of its flights is one booking). API data alone (no booking)
adds no leg yet.

Journeys name bookings, flights and travellers: every read is recorded in the audit log, with who and why,
before anything is returned. `openpiu journeys` calls this; see docs/journeys.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpiu.analysis.journeys import JourneySettings, TravelSegment, chain, segments_of
from openpiu.clock import Clock
from openpiu.model.airports import zone_of
from openpiu.model.journeys import Journey, Leg, Stop, TravelHistory
from openpiu.services.identity import NoSuchIdentity
from openpiu.store import Occurrence, Store, open_store

__all__ = [
    "DEFAULT_READ_REASON",
    "IdentityJourneys",
    "JourneyDesk",
    "identity_journeys",
    "journey_json",
    "leg_json",
]

#: The reason recorded for a read when the caller gives none.
DEFAULT_READ_REASON = "review of a traveller's journeys"


@dataclass(frozen=True, slots=True)
class IdentityJourneys:
    """An identity's travel history, and how many occurrences and bookings it was made from."""

    identity: int
    occurrences: int
    bookings: tuple[str, ...]  # locators (or stored ids for bookings without one), sorted
    history: TravelHistory

    @property
    def broken(self) -> bool:
        return any(stop.broken is not None for journey in self.history.journeys for stop in journey.stops)

    def to_dict(self) -> dict[str, Any]:
        """The `openpiu journeys --json` contract: keep it stable (add keys, never rename)."""
        return {
            "identity": self.identity,
            "occurrences": self.occurrences,
            "bookings": list(self.bookings),
            "broken_travel": self.broken,
            "journeys": [journey_json(journey) for journey in self.history.journeys],
            "cancelled_legs": [leg_json(leg) for leg in self.history.cancelled],
        }


def _time(value: datetime) -> str:
    return value.isoformat()


def _local(value: datetime, airport: str) -> str | None:
    """The instant in the airport's local time (with its offset), None when its zone is unknown."""
    zone = zone_of(airport)
    if zone is None:
        return None
    try:
        return value.astimezone(ZoneInfo(zone)).isoformat()
    except ZoneInfoNotFoundError:
        return None


def leg_json(leg: Leg) -> dict[str, Any]:
    return {
        "flight": leg.designator,
        "carrier": leg.carrier,
        "number": leg.number,
        "codeshares": list(leg.codeshares),
        "origin": leg.origin,
        "destination": leg.destination,
        "origin_country": leg.origin_country,
        "destination_country": leg.destination_country,
        "departure": _time(leg.departure),
        "arrival": _time(leg.arrival),
        "departure_local": _local(leg.departure, leg.origin),
        "arrival_local": _local(leg.arrival, leg.destination),
        "arrival_estimated": leg.arrival_estimated,
        "approximate": leg.approximate,
        "crossing": leg.crossing.value,
        "bookings": list(leg.bookings),
        "occurrences": list(leg.occurrences),
    }


def _stop_json(stop: Stop) -> dict[str, Any]:
    broken = stop.broken
    return {
        "arrived_at": stop.arrived_at,
        "departs_from": stop.departs_from,
        "kind": stop.kind.value,
        "transfer": stop.transfer.value,
        "ground_minutes": int(stop.ground_time.total_seconds() // 60),
        "distance_km": round(stop.distance_km, 1),
        "separate_bookings": stop.separate_bookings,
        "broken": None
        if broken is None
        else {
            "hidden": broken.hidden.value,
            "before": list(broken.before),
            "after": list(broken.after),
            "reason": broken.reason,
        },
    }


def journey_json(journey: Journey) -> dict[str, Any]:
    reasons = [stop.broken.reason for stop in journey.stops if stop.broken is not None]
    return {
        "origin": journey.origin,
        "destination": journey.destination,
        "round_trip": journey.round_trip,
        "return_of": journey.return_of,
        "broken": bool(reasons),
        "reasons": reasons,
        "legs": [leg_json(leg) for leg in journey.legs],
        "stops": [_stop_json(stop) for stop in journey.stops],
    }


class JourneyDesk:
    """Journeys on one store, for one actor at a time."""

    def __init__(self, store: Store, settings: JourneySettings | None = None) -> None:
        self.store = store
        self.settings = settings or JourneySettings()

    def identity_of_traveller(self, traveller_id: int) -> int | None:
        """The identity a stored traveller (one booking version's) was resolved into, if any."""
        return self.store.identity_of(Occurrence(traveller_id=traveller_id))

    def traveller_of_identity(self, identity_id: int) -> int | None:
        """The stored traveller an identity was last seen as (its latest flight's), to open its page; None
        for an unknown identity or one seen in API data only."""
        found = self.store.identity(identity_id)
        if found is None:
            return None
        travellers = [
            (member.flight_date, member.occurrence.traveller_id)
            for member in found.members
            if member.occurrence.traveller_id is not None
        ]
        return max(travellers)[1] if travellers else None

    def journeys(
        self, actor: str, identity_id: int, *, reason: str = DEFAULT_READ_REASON
    ) -> IdentityJourneys:
        """The identity's journeys (a read of personal data: audited first). Two queries whatever the number
        of bookings: the identity, then its bookings."""
        store = self.store
        found = store.identity(identity_id)
        if found is None:
            raise NoSuchIdentity(f"no identity {identity_id} (it may have been merged into another)")
        occurrences: dict[int, set[str]] = {}
        for member in found.members:
            if member.booking_id is not None:
                occurrences.setdefault(member.booking_id, set()).add(str(member.occurrence))
        store.record(
            actor=actor,
            action="journeys.read",
            subject=f"identity {identity_id}",
            reason=reason,
            details={"occurrences": found.occurrences, "bookings": len(occurrences)},
        )
        segments: list[TravelSegment] = []
        names: set[str] = set()
        for stored in store.bookings_by_ids(list(occurrences)):
            booking = stored.booking
            if stored.cancelled and not booking.cancelled:  # a full push no longer listed it
                booking = dataclasses.replace(booking, cancelled=True)
            name = stored.locator or f"#{stored.id}"
            names.add(name)
            for occurrence in sorted(occurrences[stored.id]):
                segments.extend(segments_of(booking, booking_id=name, occurrence=occurrence))
        return IdentityJourneys(
            identity=identity_id,
            occurrences=found.occurrences,
            bookings=tuple(sorted(names)),
            history=chain(segments, self.settings),
        )


def identity_journeys(
    url: str, identity_id: int, *, clock: Clock, actor: str, reason: str = DEFAULT_READ_REASON
) -> IdentityJourneys:
    """For the command line: by database URL."""
    store = open_store(url, clock=clock)
    try:
        return JourneyDesk(store).journeys(actor, identity_id, reason=reason)
    finally:
        store.close()
