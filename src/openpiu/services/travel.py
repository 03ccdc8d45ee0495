"""Use cases of the analyst's screens about travel: the day's board, a flight's manifest, a booking with
what changed between its versions, and a traveller with their other bookings.

The board shows no personal data (flights, pushes, counts of hits). The manifest, a booking and a
traveller do: each call is recorded in the audit log before anything is returned (Art 13), with the
actor and the reason the screen gives. The web layer checks what the user's role allows before calling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openpiu.analysis.changes import Change, changes
from openpiu.model import Booking, CheckIn, Flight, Traveller
from openpiu.store import (
    BookingSummary,
    BookingVersion,
    FlightPush,
    FlightStatus,
    NotFound,
    Store,
    StoredBooking,
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
    booking: StoredBooking
    traveller: StoredTraveller
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
    booking: StoredBooking
    flight: StoredFlight | None
    versions: list[VersionView]  # oldest first
    hits: list[StoredHit]


@dataclass(frozen=True, slots=True)
class TravellerView:
    traveller: StoredTraveller
    booking: StoredBooking | None
    flight: StoredFlight | None
    other_bookings: list[tuple[StoredTraveller, BookingSummary]]  # same name and date of birth
    hits: list[StoredHit]


def _utc(flight: Flight, arrival: bool) -> datetime | None:
    time = flight.arrival if arrival else flight.departure
    return None if time is None else time.utc


def check_in_status(booking: Booking, flight: Flight, traveller: Traveller) -> str:
    """Whether the traveller checked in (or boarded) for this flight, from the booking's segment."""
    found: list[CheckIn] = []
    for segment in booking.segments:
        leg = segment.flight
        if leg is None or (leg.carrier, leg.number) != (flight.carrier, flight.number):
            continue
        for check_in in segment.check_ins:
            if (check_in.traveller_ref is not None and check_in.traveller_ref == traveller.ref) or (
                check_in.traveller_ref is None and check_in.surname and check_in.surname == traveller.surname
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
        bookings = store.current_bookings(flight_id, include_cancelled=True)
        by_id = {b.id: b for b in bookings}
        hits: dict[tuple[int, str], list[StoredHit]] = {}
        for hit in store.hits(flight_id=flight_id, limit=100_000):
            if hit.hit.booking_id is not None:
                hits.setdefault((hit.hit.booking_id, hit.hit.traveller_key), []).append(hit)
        manifest = []
        for traveller in store.current_travellers(flight_id):
            booking = by_id.get(traveller.booking_id)
            if booking is None:
                continue
            key = traveller.traveller.ref or f"#{traveller.position}"
            manifest.append(
                ManifestLine(
                    booking=booking,
                    traveller=traveller,
                    check_in=check_in_status(booking.booking, stored.flight, traveller.traveller),
                    hits=hits.get((booking.id, key), []),
                )
            )
        return FlightView(
            flight=stored,
            pushes=store.flight_pushes(flight_id),
            manifest=manifest,
            cancelled_bookings=sum(1 for b in bookings if b.cancelled),
        )

    def booking(self, actor: str, booking_id: int, *, reason: str = "view the booking") -> BookingView:
        store = self.store
        stored = store.booking(booking_id)
        if stored is None:
            raise NoSuchRecord(f"no booking {booking_id}")
        store.record(actor=actor, action="booking.read", subject=f"booking:{booking_id}", reason=reason)
        versions = store.versions(booking_id)
        views = [
            VersionView(v, [] if i == 0 else changes(versions[i - 1].booking, v.booking))
            for i, v in enumerate(versions)
        ]
        return BookingView(
            booking=stored,
            flight=store.flight(stored.flight_id),
            versions=views,
            hits=[
                h
                for h in store.hits(flight_id=stored.flight_id, limit=100_000)
                if h.hit.booking_id == booking_id
            ],
        )

    def traveller(
        self, actor: str, traveller_id: int, *, reason: str = "view the traveller"
    ) -> TravellerView:
        store = self.store
        stored = store.traveller(traveller_id)
        if stored is None:
            raise NoSuchRecord(f"no traveller {traveller_id}")
        store.record(actor=actor, action="traveller.read", subject=f"traveller:{traveller_id}", reason=reason)
        booking = store.booking(stored.booking_id)
        person = stored.traveller
        others: list[tuple[StoredTraveller, BookingSummary]] = []
        if person.surname:
            # the same surname is not the same person: given names and date of birth must agree too;
            # the most recent flights first, and only so many (each is a whole booking to read)
            named = store.travellers_named(
                person.surname,
                given_names=person.given_names,
                date_of_birth=person.date_of_birth,
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
            summaries = {b.id: b for b in store.booking_summaries([other.booking_id for other in same])}
            others = [(other, summaries[other.booking_id]) for other in same if other.booking_id in summaries]
        key = person.ref or f"#{stored.position}"
        hits = []
        if booking is not None:
            hits = [
                h
                for h in store.hits(flight_id=booking.flight_id, limit=100_000)
                if h.hit.booking_id == booking.id and h.hit.traveller_key == key
            ]
        return TravellerView(
            traveller=stored,
            booking=booking,
            flight=None if booking is None else store.flight(booking.flight_id),
            other_bookings=others,
            hits=hits,
        )
