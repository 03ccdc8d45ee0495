"""A traveller's journeys across bookings: the legs flown, the stops between them, and broken travel.

`openpiu.analysis.journeys` chains one identity's segments (from every booking and push) into these records;
screening reads them for the journey features of criteria, and the web layer draws them as a timeline and a
map. Instants are timezone-aware UTC; airports are IATA codes, countries ISO 3166-1 alpha-2.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpiu.model.airports import zone_of
from openpiu.model.record import record
from openpiu.model.travel import Flight

__all__ = [
    "BrokenTravel",
    "Crossing",
    "Hidden",
    "Journey",
    "Leg",
    "Stop",
    "StopKind",
    "Transfer",
    "TravelHistory",
    "designator",
    "local_date",
]


def designator(carrier: str | None, number: str | None) -> str | None:
    """`LH`, `0400` -> `LH400`: carrier upper case, number without leading zeros; None without either."""
    if not carrier or not number:
        return None
    digits = number.strip().upper().lstrip("0")
    return f"{carrier.strip().upper()}{digits or '0'}"


class Crossing(StrEnum):
    """Where a flight goes with respect to the Schengen area (on its date)."""

    ENTRY = "entry"  # from outside into the area: lands at the external border
    EXIT = "exit"  # from the area to outside
    INSIDE = "inside"  # between two member states: no border check, no API data
    OUTSIDE = "outside"  # between two airports outside the area
    UNKNOWN = "unknown"  # an airport not known to airportsdata


@record
class Leg:
    """One flight an identity takes, once, however many bookings, versions and pushes listed it."""

    carrier: str  # the carrier that flies it (the operating carrier of a codeshare)
    number: str
    origin: str
    destination: str
    departure: datetime  # UTC
    arrival: datetime  # UTC; estimated from the distance when no message gave it (`arrival_estimated`)
    origin_country: str | None
    destination_country: str | None
    crossing: Crossing
    bookings: tuple[str, ...]  # the bookings that list it (and did not cancel it), sorted
    occurrences: tuple[str, ...] = ()  # the traveller occurrences that carried it, sorted
    codeshares: tuple[str, ...] = ()  # the other designators it was booked under (marketing carriers)
    arrival_estimated: bool = False
    approximate: bool = False  # a message gave the date without a time, or an airport's zone is unknown

    @property
    def designator(self) -> str:
        return designator(self.carrier, self.number) or f"{self.carrier}{self.number}"

    def designators(self) -> frozenset[str]:
        """Every designator the flight is known by: operating and marketing."""
        return frozenset({self.designator, *self.codeshares})

    @property
    def duration(self) -> timedelta:
        return self.arrival - self.departure


class StopKind(StrEnum):
    CONNECTION = "connection"  # on the ground no longer than the connection time (24 hours by default)
    STOPOVER = "stopover"  # longer, but within the stop-over limit


class Transfer(StrEnum):
    SAME_AIRPORT = "same_airport"
    OVERLAND = (
        "overland"  # flies on from another airport (the same city's other airport, or by train or road)
    )


class Hidden(StrEnum):
    """What a broken journey's separate booking hides from the PIU that sees only one of its bookings."""

    ORIGIN = "origin"  # arrival from outside on one booking, onward inside the area on another
    DESTINATION = "destination"  # inside the area on one booking, out of it on another


@record
class BrokenTravel:
    """Two legs on separate bookings that form one connection across the Schengen external border."""

    hidden: Hidden
    before: tuple[str, ...]  # the bookings of the leg before the stop
    after: tuple[str, ...]  # the bookings of the leg after it
    reason: str  # what an analyst reads: the legs, the bookings, the time between


@record
class Stop:
    """The time on the ground between two legs of a journey."""

    arrived_at: str  # airport
    departs_from: str  # the same airport, or another one reached over land
    kind: StopKind
    transfer: Transfer
    ground_time: timedelta
    distance_km: float = 0.0  # between the two airports (overland)
    separate_bookings: bool = False  # no booking lists both legs
    broken: BrokenTravel | None = None


@record
class Journey:
    """Legs chained by connections and stop-overs from an origin to a destination.

    A journey ends when the traveller stays longer than the stop-over limit, flies on from an airport it
    could not have reached, turns back towards where the last leg came from, or is back where it began.
    """

    legs: tuple[Leg, ...]
    stops: tuple[Stop, ...]  # one fewer than legs: stops[i] lies between legs[i] and legs[i + 1]
    return_of: int | None = None  # the index of the journey this one comes back from (a return trip)
    round_trip: bool = False  # it ends where it began (a circle of connections)

    def __post_init__(self) -> None:
        if not self.legs or len(self.stops) != len(self.legs) - 1:
            raise ValueError("a journey has at least one leg and a stop between each two")

    @property
    def origin(self) -> str:
        return self.legs[0].origin

    @property
    def destination(self) -> str:
        return self.legs[-1].destination

    @property
    def departure(self) -> datetime:
        return self.legs[0].departure

    @property
    def arrival(self) -> datetime:
        return self.legs[-1].arrival

    @property
    def broken(self) -> tuple[BrokenTravel, ...]:
        return tuple(stop.broken for stop in self.stops if stop.broken is not None)

    def bookings(self) -> tuple[str, ...]:
        return tuple(sorted({b for leg in self.legs for b in leg.bookings}))

    def airports(self) -> tuple[str, ...]:
        """The airports in order: each arrival and, after an overland transfer, the next departure."""
        found = [self.legs[0].origin]
        for leg in self.legs:
            if leg.origin != found[-1]:
                found.append(leg.origin)
            found.append(leg.destination)
        return tuple(found)


@record
class TravelHistory:
    """One identity's journeys in time order, and the legs only cancelled bookings still list."""

    journeys: tuple[Journey, ...] = ()
    cancelled: tuple[Leg, ...] = ()

    @property
    def known(self) -> bool:
        """Whether anything is known: an empty history says nothing (journey features stay unknown)."""
        return bool(self.journeys)

    def legs(self) -> tuple[Leg, ...]:
        return tuple(leg for journey in self.journeys for leg in journey.legs)

    def locate(self, flight: Flight) -> tuple[int, int] | None:
        """(journey index, leg index) of the leg that is `flight`, or None when the history lacks it.

        The same flight: the same departure airport and either the same departure instant, or one of its
        designators (marketing or operating) on the same local date.
        """
        names = {
            name
            for name in (
                designator(flight.carrier, flight.number),
                designator(flight.operating_carrier, flight.operating_number),
            )
            if name
        }
        origin = (flight.origin or "").strip().upper()
        instant = flight.departure.utc if flight.departure else None
        day: date | None = flight.departure.local.date() if flight.departure else None
        for j, journey in enumerate(self.journeys):
            for i, leg in enumerate(journey.legs):
                if origin and leg.origin != origin:
                    continue
                if instant is not None and leg.departure == instant:
                    return j, i
                if (
                    names & leg.designators()
                    and day is not None
                    and local_date(leg.departure, leg.origin) == day
                ):
                    return j, i
        return None


def local_date(instant: datetime, airport_code: str) -> date:
    """The date at the airport of a UTC instant (the UTC date when the airport's zone is unknown)."""
    zone = zone_of(airport_code)
    if zone is None:
        return instant.date()
    try:
        return instant.astimezone(ZoneInfo(zone)).date()
    except ZoneInfoNotFoundError:
        return instant.date()
