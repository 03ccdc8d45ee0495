"""Use cases of the analyst's screens about travel: the day's board, a flight's manifest, a booking with
what changed between its versions, and a traveller with their other bookings.

The board shows no personal data (flights, pushes, counts of hits). The manifest, a booking and a
traveller do: each call is recorded in the audit log before anything is returned (Art 13), with the
actor and the reason the screen gives. The web layer checks what the user's role allows before calling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openpiu.analysis.changes import Change, changes
from openpiu.model import CheckIn, Flight, Segment
from openpiu.store import (
    BookingSummary,
    BookingVersion,
    FlightPush,
    FlightStatus,
    ManifestBooking,
    ManifestTraveller,
    NotFound,
    Store,
    StoredFlight,
    StoredHit,
    StoredTraveller,
)

__all__ = [
    "EXPECTED_PUSHES",
    "MAX_OTHER_BOOKINGS",
    "BoardRow",
    "BookingView",
    "CarrierCompliance",
    "Dashboard",
    "FlightView",
    "ManifestLine",
    "NoSuchRecord",
    "Travel",
    "TravellerView",
    "VersionView",
    "check_in_status",
]

#: Pushes a carrier owes per flight (Directive Art 8(3)): 24 to 48 hours before departure, and once
#: boarding has closed. The first is due at T-24h, the second at departure.
EXPECTED_PUSHES = ((timedelta(hours=24), "before departure (T-48h to T-24h)"), (timedelta(0), "at closure"))


#: Other bookings of the same person shown on a traveller's page (the most recent).
MAX_OTHER_BOOKINGS = 20


class NoSuchRecord(NotFound):
    """The flight, booking or traveller asked for does not exist."""


@dataclass(frozen=True, slots=True)
class BoardRow:
    status: FlightStatus
    arrival_utc: datetime | None
    departure_utc: datetime | None
    pushes_due: int  # pushes the carrier owed by now
    time_to_arrival: timedelta | None  # negative once landed

    @property
    def pushes_missing(self) -> int:
        return max(0, self.pushes_due - len(self.status.pushes))


@dataclass(frozen=True, slots=True)
class CarrierCompliance:
    carrier: str
    flights: int
    pushes_received: int
    pushes_due: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    day: date
    now: datetime
    flights: list[BoardRow]  # by arrival time
    carriers: list[CarrierCompliance]
    hits_waiting: dict[int, int]  # priority -> hits without a decision on the day's flights


@dataclass(frozen=True, slots=True)
class ManifestLine:
    booking: ManifestBooking
    traveller: ManifestTraveller
    check_in: str  # "boarded", "checked in", "not checked in"
    hits: list[StoredHit]


@dataclass(frozen=True, slots=True)
class FlightView:
    flight: StoredFlight
    pushes: list[FlightPush]
    manifest: list[ManifestLine]
    cancelled_bookings: int


@dataclass(frozen=True, slots=True)
class VersionView:
    version: BookingVersion
    changes: list[Change]  # against the version before (empty for the first)


@dataclass(frozen=True, slots=True)
class BookingView:
    booking: BookingSummary
    flight: StoredFlight | None
    versions: list[VersionView]  # oldest first
    hits: list[StoredHit]


@dataclass(frozen=True, slots=True)
class TravellerView:
    traveller: StoredTraveller
    booking: BookingSummary | None
    flight: StoredFlight | None
    other_bookings: list[tuple[StoredTraveller, BookingSummary]]  # same name and date of birth
    hits: list[StoredHit]


def _utc(flight: Flight, arrival: bool) -> datetime | None:
    time = flight.arrival if arrival else flight.departure
    return None if time is None else time.utc


def check_in_status(segments: Sequence[Segment], flight: Flight, ref: str | None, surname: str | None) -> str:
    """Whether the traveller (by reference, else surname) checked in or boarded for this flight, from
    the check-ins on the booking's segments of it."""
    found: list[CheckIn] = []
    for segment in segments:
        leg = segment.flight
        if leg is None or (leg.carrier, leg.number) != (flight.carrier, flight.number):
            continue
        for check_in in segment.check_ins:
            if (check_in.traveller_ref is not None and check_in.traveller_ref == ref) or (
                check_in.traveller_ref is None and check_in.surname and check_in.surname == surname
            ):
                found.append(check_in)
    if any(c.boarded for c in found):
        return "boarded"
    if found:
        return "checked in"
    return "not checked in"


class Travel:
    """The travel screens' use cases on one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def dashboard(self, day: date, now: datetime) -> Dashboard:
        """The flights arriving or departing on `day` (UTC), their pushes and the hits waiting on them."""
        statuses = self.store.flight_board([day - timedelta(days=1), day])
        rows: list[BoardRow] = []
        for status in statuses:
            flight = status.flight.flight
            arrival, departure = _utc(flight, True), _utc(flight, False)
            on_day = [t.date() for t in (arrival, departure) if t is not None] or [status.flight.flight_date]
            if day not in on_day:
                continue  # departed the day before and landed before this day
            due = sum(1 for before, _ in EXPECTED_PUSHES if departure is None or now >= departure - before)
            rows.append(
                BoardRow(
                    status=status,
                    arrival_utc=arrival,
                    departure_utc=departure,
                    pushes_due=due,
                    time_to_arrival=None if arrival is None else arrival - now,
                )
            )
        far = datetime.max.replace(tzinfo=now.tzinfo)
        rows.sort(key=lambda r: (r.arrival_utc or r.departure_utc or far, r.status.flight.id))
        carriers: dict[str, list[int]] = {}
        waiting: dict[int, int] = {}
        for row in rows:
            tally = carriers.setdefault(row.status.flight.flight.carrier, [0, 0, 0])
            tally[0] += 1
            tally[1] += len(row.status.pushes)
            tally[2] += row.pushes_due
            for priority, count in row.status.hits_waiting.items():
                waiting[priority] = waiting.get(priority, 0) + count
        return Dashboard(
            day=day,
            now=now,
            flights=rows,
            carriers=[CarrierCompliance(c, *tally) for c, tally in sorted(carriers.items())],
            hits_waiting=dict(sorted(waiting.items())),
        )

    def flight(self, actor: str, flight_id: int, *, reason: str = "view the flight's manifest") -> FlightView:
        store = self.store
        stored = store.flight(flight_id)
        if stored is None:
            raise NoSuchRecord(f"no flight {flight_id}")
        store.record(actor=actor, action="flight.read", subject=f"flight:{flight_id}", reason=reason)
        with store.reading():
            manifest = store.flight_manifest(flight_id)
            flight_hits = store.hits(flight_id=flight_id, limit=100_000)
            pushes = store.flight_pushes(flight_id)
        by_id = {b.id: b for b in manifest.bookings}
        hits: dict[tuple[int, str], list[StoredHit]] = {}
        for hit in flight_hits:
            if hit.hit.booking_id is not None:
                hits.setdefault((hit.hit.booking_id, hit.hit.traveller_key), []).append(hit)
        lines = []
        for traveller in manifest.travellers:
            booking = by_id.get(traveller.booking_id)
            if booking is None:
                continue
            lines.append(
                ManifestLine(
                    booking=booking,
                    traveller=traveller,
                    check_in=check_in_status(
                        booking.segments, stored.flight, traveller.ref, traveller.surname
                    ),
                    hits=hits.get((booking.id, traveller.key), []),
                )
            )
        return FlightView(
            flight=stored,
            pushes=pushes,
            manifest=lines,
            cancelled_bookings=manifest.cancelled_bookings,
        )

    def booking(self, actor: str, booking_id: int, *, reason: str = "view the booking") -> BookingView:
        store = self.store
        found = store.booking_summaries([booking_id])
        if not found:
            raise NoSuchRecord(f"no booking {booking_id}")
        [summary] = found
        store.record(actor=actor, action="booking.read", subject=f"booking:{booking_id}", reason=reason)
        with store.reading():
            versions = store.versions(booking_id)  # the current one is the last: not read a second time
            flight = store.flight(summary.flight_id)
            hits = store.hits(booking_id=booking_id, limit=100_000)
        views = [
            VersionView(v, [] if i == 0 else changes(versions[i - 1].booking, v.booking))
            for i, v in enumerate(versions)
        ]
        return BookingView(booking=summary, flight=flight, versions=views, hits=hits)

    def traveller(
        self, actor: str, traveller_id: int, *, reason: str = "view the traveller"
    ) -> TravellerView:
        store = self.store
        stored = store.traveller(traveller_id)
        if stored is None:
            raise NoSuchRecord(f"no traveller {traveller_id}")
        store.record(actor=actor, action="traveller.read", subject=f"traveller:{traveller_id}", reason=reason)
        with store.reading():
            return self._traveller_view(stored)

    def _traveller_view(self, stored: StoredTraveller) -> TravellerView:
        store = self.store
        person = stored.traveller
        same: list[StoredTraveller] = []
        if person.surname and not person.placeholder:
            # the same surname is not the same person: given names and date of birth must agree too;
            # the most recent flights first, and only so many (a group's seats held under TBA share
            # a name, not a person)
            named = store.travellers_named(
                person.surname,
                given_names=person.given_names,
                date_of_birth=person.date_of_birth,
                exact=True,
                limit=MAX_OTHER_BOOKINGS + 1,
            )
            same = [
                other
                for other in named
                if other.booking_id != stored.booking_id
                and (other.traveller.given_names, other.traveller.date_of_birth)
                == (person.given_names, person.date_of_birth)
            ]
            same.sort(key=lambda other: (other.flight_date, other.id), reverse=True)
            same = same[:MAX_OTHER_BOOKINGS]
        # the traveller's own booking and the others' in one read, as summaries (none is read whole)
        summaries = {
            b.id: b for b in store.booking_summaries([stored.booking_id, *(o.booking_id for o in same)])
        }
        others = [(other, summaries[other.booking_id]) for other in same if other.booking_id in summaries]
        booking = summaries.get(stored.booking_id)
        key = person.ref or f"#{stored.position}"
        hits = []
        if booking is not None:
            hits = [h for h in store.hits(booking_id=booking.id, limit=100_000) if h.hit.traveller_key == key]
        return TravellerView(
            traveller=stored,
            booking=booking,
            flight=None if booking is None else store.flight(booking.flight_id),
            other_bookings=others,
            hits=hits,
        )
