"""Chain one identity's flight segments, from all its bookings and pushes, into journeys; flag broken travel.

The input is every segment the identity was seen on (`TravelSegment`: one booking version's segment for one
traveller occurrence), in any order and with repeats. `chain` returns a `TravelHistory`:

1. **Legs.** The same flight seen in several pushes, versions or bookings is one leg: the same departure
   airport and either the same arrival airport and departure instant, or one of its designators (marketing
   or operating) on the same local date. A booking's latest version decides whether it still lists the leg;
   a leg that only cancelled bookings list is kept apart (`TravelHistory.cancelled`).
2. **Journeys.** Legs in time order are chained while the next leg leaves from where the last one landed (or
   from an airport reachable over land in the time between, e.g. the same city's other airport, or a train
   ride away) within the stop-over limit: a *connection* when on the ground no longer than the connection
   time (24 hours by default, the IATA stop-over rule the booking features use too), a *stop-over* when
   longer. A journey ends when the traveller stays longer, flies on from somewhere they could not have got
   to, turns back towards where they came from (the return is the next journey, `return_of`), or is home
   again (`round_trip`).
3. **Broken travel.** A connection whose two legs are on separate bookings (no booking lists both) and where
   exactly one leg crosses the Schengen external border: arriving from outside on one booking and flying on
   inside the area on another hides where the journey began from whoever sees only the onward booking (an
   intra-Schengen flight has no border check and no API data), and the mirror image hides where it ends.

Pure: no database, no clock. Settings are passed explicitly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache

from openpiu.model.airports import airport, distance_km
from openpiu.model.journeys import (
    BrokenTravel,
    Crossing,
    Hidden,
    Journey,
    Leg,
    Stop,
    StopKind,
    Transfer,
    TravelHistory,
    designator,
    local_date,
)
from openpiu.model.schengen import in_schengen
from openpiu.model.travel import Booking, Flight
from openpiu.model.values import ScheduledTime

__all__ = ["JourneySettings", "TravelSegment", "chain", "segments_of"]

_CRUISE_KMH = 800.0  # to estimate a missing arrival: great-circle distance at this speed ...
_TAXI = timedelta(minutes=30)  # ... plus taxi, climb and descent
_INACTIVE_STATUSES = frozenset({"XX", "XK", "XL", "XR", "HX", "UN", "UC", "NO", "HL", "LL"})


@dataclasses.dataclass(frozen=True, slots=True)
class JourneySettings:
    """How legs are chained into journeys. The defaults suit a PIU; each is a judgement to revisit."""

    #: On the ground no longer than this: a connection (the IATA stop-over rule for international travel).
    connection: timedelta = timedelta(hours=24)
    #: On the ground longer than this ends the journey; in between it is a stop-over.
    stopover: timedelta = timedelta(hours=72)
    #: Two airports this close are the same place (Paris CDG and ORY, London's airports, Frankfurt and Hahn):
    #: arriving there is being back where a journey began, or where the last leg came from.
    same_place_km: float = 100.0
    #: The farthest another airport may be to fly on from it (a train or a car journey, not a flight).
    overland_km: float = 400.0
    #: Ground time needed to change airports: this minimum, plus the distance at `overland_kmh`.
    overland_minimum: timedelta = timedelta(hours=1)
    overland_kmh: float = 100.0
    #: A journey back from where the previous one ended, to where it began, within this time is its return.
    return_window: timedelta = timedelta(days=365)
    #: Flag broken travel across stop-overs too (by default only across connections).
    broken_on_stopovers: bool = False

    def __post_init__(self) -> None:
        if not timedelta(0) < self.connection <= self.stopover:
            raise ValueError("the connection time must be positive and no longer than the stop-over limit")
        if self.same_place_km < 0 or self.overland_km < 0 or self.overland_kmh <= 0:
            raise ValueError("distances must not be negative, the overland speed must be positive")
        if self.overland_minimum < timedelta(0) or self.return_window < timedelta(0):
            raise ValueError("durations must not be negative")


@dataclasses.dataclass(frozen=True, slots=True)
class TravelSegment:
    """One flight segment as one booking version listed it for one traveller occurrence of the identity."""

    carrier: str
    number: str
    origin: str
    destination: str
    departure: datetime  # timezone-aware
    arrival: datetime | None  # timezone-aware; None when the message did not give it
    booking: str  # the booking's id (or locator): legs on the same booking were booked together
    occurrence: str | None = None  # the traveller occurrence (row, or file and reference) that carried it
    operating_carrier: str | None = None
    operating_number: str | None = None
    seen: datetime | None = None  # when this version arrived: a booking's latest version decides
    cancelled: bool = False  # the booking (or this segment) is cancelled in this version
    approximate: bool = False  # the times are approximate (no time of day, or no zone for the airport)

    def __post_init__(self) -> None:
        for instant in (self.departure, self.arrival, self.seen):
            if instant is not None and instant.utcoffset() is None:
                raise ValueError("segment instants must be timezone-aware")


# --- legs ---------------------------------------------------------------------------------------------


_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def _order(segment: TravelSegment) -> tuple[object, ...]:
    """A total order on segments: the latest seen last, every field breaking ties (order independence)."""
    return (
        segment.seen or _EPOCH,
        not segment.cancelled,
        segment.departure,
        segment.arrival or _EPOCH,
        segment.carrier,
        segment.number,
        segment.origin,
        segment.destination,
        segment.booking,
        segment.occurrence or "",
        segment.operating_carrier or "",
        segment.operating_number or "",
        segment.approximate,
    )


def _normal(segment: TravelSegment) -> TravelSegment:
    return dataclasses.replace(
        segment,
        carrier=segment.carrier.strip().upper(),
        number=segment.number.strip().upper(),
        origin=segment.origin.strip().upper(),
        destination=segment.destination.strip().upper(),
        departure=segment.departure.astimezone(UTC),
        arrival=segment.arrival.astimezone(UTC) if segment.arrival is not None else None,
        seen=segment.seen.astimezone(UTC) if segment.seen is not None else None,
        operating_carrier=(segment.operating_carrier or "").strip().upper() or None,
        operating_number=(segment.operating_number or "").strip().upper() or None,
    )


def _keys(segment: TravelSegment) -> list[tuple[object, ...]]:
    keys: list[tuple[object, ...]] = [("at", segment.origin, segment.destination, segment.departure)]
    day = local_date(segment.departure, segment.origin)
    for name in (
        designator(segment.carrier, segment.number),
        designator(segment.operating_carrier, segment.operating_number),
    ):
        if name:
            keys.append(("as", name, segment.origin, day))
    return keys


def _groups(segments: Sequence[TravelSegment]) -> list[list[TravelSegment]]:
    """Segments that are the same flight, grouped (union-find over their keys)."""
    parent = list(range(len(segments)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[object, ...], int] = {}
    for i, segment in enumerate(segments):
        for key in _keys(segment):
            j = first.setdefault(key, i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    grouped: dict[int, list[TravelSegment]] = {}
    for i, segment in enumerate(segments):
        grouped.setdefault(root(i), []).append(segment)
    return list(grouped.values())


@cache
def _country(code: str) -> str | None:
    info = airport(code)
    return info.country.upper() if info is not None and info.country else None


@cache
def _km(a: str, b: str) -> float | None:
    return distance_km(a, b)


def _crossing(origin: str, destination: str, day: date) -> Crossing:
    first, second = _country(origin), _country(destination)
    if first is None or second is None:
        return Crossing.UNKNOWN
    inside_from, inside_to = in_schengen(first, day), in_schengen(second, day)
    if inside_from and inside_to:
        return Crossing.INSIDE
    if inside_to:
        return Crossing.ENTRY
    if inside_from:
        return Crossing.EXIT
    return Crossing.OUTSIDE


def _estimated_arrival(origin: str, destination: str, departure: datetime) -> datetime:
    km = _km(origin, destination)
    flying = timedelta(hours=(km or 0.0) / _CRUISE_KMH) + _TAXI
    return departure + timedelta(minutes=5 * round(flying / timedelta(minutes=5)))


def _leg(group: list[TravelSegment]) -> tuple[Leg, bool]:
    """The leg the group's segments describe, and whether it is still booked (not only cancelled)."""
    ordered = sorted(group, key=_order)
    latest_by_booking: dict[str, TravelSegment] = {}
    for segment in ordered:
        latest_by_booking[segment.booking] = segment  # the last one (latest seen) wins
    active = sorted(b for b, s in latest_by_booking.items() if not s.cancelled)
    sources = [s for s in ordered if s.booking in active] or ordered
    main = sources[-1]
    arrival = main.arrival
    estimated = False
    if arrival is None:
        given = [s.arrival for s in sources if s.arrival is not None and s.departure == main.departure]
        arrival = given[-1] if given else None
    if arrival is None or arrival < main.departure:
        arrival, estimated = _estimated_arrival(main.origin, main.destination, main.departure), True
    flown = next(
        (
            (s.operating_carrier, s.operating_number)
            for s in reversed(sources)
            if s.operating_carrier and s.operating_number
        ),
        (main.carrier, main.number),
    )
    own = designator(*flown)
    names = {designator(s.carrier, s.number) for s in group} | {
        designator(s.operating_carrier, s.operating_number) for s in group
    }
    leg = Leg(
        carrier=flown[0],
        number=flown[1],
        origin=main.origin,
        destination=main.destination,
        departure=main.departure,
        arrival=arrival,
        origin_country=_country(main.origin),
        destination_country=_country(main.destination),
        crossing=_crossing(main.origin, main.destination, local_date(main.departure, main.origin)),
        bookings=tuple(active) if active else tuple(sorted(latest_by_booking)),
        occurrences=tuple(sorted({s.occurrence for s in group if s.occurrence})),
        codeshares=tuple(sorted(name for name in names if name and name != own)),
        arrival_estimated=estimated,
        approximate=main.approximate,
    )
    return leg, bool(active)


def _leg_order(leg: Leg) -> tuple[object, ...]:
    return (leg.departure, leg.arrival, leg.origin, leg.destination, leg.designator, leg.bookings)


# --- journeys -----------------------------------------------------------------------------------------


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes:02d} min" if (hours or days) else f"{minutes} min")
    return " ".join(parts)


def _bookings(leg: Leg) -> str:
    return ", ".join(leg.bookings)


def _place(code: str) -> str:
    country = _country(code)
    return f"{code} ({country})" if country else code


class _Chainer:
    def __init__(self, settings: JourneySettings) -> None:
        self.settings = settings

    def near(self, a: str, b: str) -> bool:
        if a == b:
            return True
        km = _km(a, b)
        return km is not None and km <= self.settings.same_place_km

    def stop(self, before: Leg, after: Leg, start: Leg) -> Stop | None:
        """The stop between two legs, or None when `after` begins a new journey."""
        s = self.settings
        ground = after.departure - before.arrival
        if ground < timedelta(0) or ground > s.stopover:
            return None
        if self.near(before.destination, start.origin) or self.near(after.destination, before.origin):
            return None  # home again, or turning back: the next leg begins the return
        km = 0.0
        if before.destination == after.origin:
            transfer = Transfer.SAME_AIRPORT
        else:
            found = _km(before.destination, after.origin)
            if found is None or found > s.overland_km:
                return None
            if ground < s.overland_minimum + timedelta(hours=found / s.overland_kmh):
                return None  # no time to get from one airport to the other
            transfer, km = Transfer.OVERLAND, round(found, 1)
        kind = StopKind.CONNECTION if ground <= s.connection else StopKind.STOPOVER
        separate = not set(before.bookings) & set(after.bookings)
        broken = None
        if separate and (kind is StopKind.CONNECTION or s.broken_on_stopovers):
            broken = self.broken(before, after, ground, km)
        return Stop(
            arrived_at=before.destination,
            departs_from=after.origin,
            kind=kind,
            transfer=transfer,
            ground_time=ground,
            distance_km=km,
            separate_bookings=separate,
            broken=broken,
        )

    def broken(self, before: Leg, after: Leg, ground: timedelta, km: float) -> BrokenTravel | None:
        crossings = (before.crossing, after.crossing)
        if crossings == (Crossing.ENTRY, Crossing.INSIDE):
            hidden = Hidden.ORIGIN
            why = "the onward booking alone does not show that the journey began outside the Schengen area"
        elif crossings == (Crossing.INSIDE, Crossing.EXIT):
            hidden = Hidden.DESTINATION
            why = "the first booking alone does not show that the journey leaves the Schengen area"
        else:
            return None
        onward = (
            f"from {after.origin}"
            if after.origin == before.destination
            else f"from {after.origin} ({km:g} km away)"
        )
        reason = (
            f"{before.designator} {_place(before.origin)} to {_place(before.destination)} on booking "
            f"{_bookings(before)}, then {_duration(ground)} later {after.designator} {onward} to "
            f"{_place(after.destination)} on separate booking {_bookings(after)}: {why}"
        )
        return BrokenTravel(hidden=hidden, before=before.bookings, after=after.bookings, reason=reason)

    def journeys(self, legs: Sequence[Leg]) -> list[Journey]:
        found: list[tuple[list[Leg], list[Stop]]] = []
        for leg in legs:
            if found:
                current, stops = found[-1]
                stop = self.stop(current[-1], leg, current[0])
                if stop is not None:
                    current.append(leg)
                    stops.append(stop)
                    continue
            found.append(([leg], []))
        journeys: list[Journey] = []
        for index, (chained, stops) in enumerate(found):
            round_trip = len(chained) > 1 and self.near(chained[-1].destination, chained[0].origin)
            return_of = None
            if index > 0:
                previous = journeys[-1]
                if (
                    self.near(chained[0].origin, previous.destination)
                    and self.near(chained[-1].destination, previous.origin)
                    and chained[0].departure - previous.arrival <= self.settings.return_window
                    and not previous.round_trip
                ):
                    return_of = index - 1
            journeys.append(Journey(tuple(chained), tuple(stops), return_of=return_of, round_trip=round_trip))
        return journeys


def chain(segments: Iterable[TravelSegment], settings: JourneySettings | None = None) -> TravelHistory:
    """One identity's segments (any order, repeats welcome) as its journeys, with broken travel flagged."""
    normal = [_normal(s) for s in segments]
    legs: list[Leg] = []
    cancelled: list[Leg] = []
    for group in _groups(normal):
        leg, booked = _leg(group)
        (legs if booked else cancelled).append(leg)
    legs.sort(key=_leg_order)
    cancelled.sort(key=_leg_order)
    journeys = _Chainer(settings or JourneySettings()).journeys(legs)
    return TravelHistory(journeys=tuple(journeys), cancelled=tuple(cancelled))


# --- from bookings ------------------------------------------------------------------------------------


def _instant(time: ScheduledTime) -> tuple[datetime, bool]:
    """The UTC instant of a schedule time, and whether it is approximate (no time of day, or no zone)."""
    if time.utc is not None:
        return time.utc, False
    return time.local.replace(tzinfo=UTC), True


def _flight_segment(
    flight: Flight, booking_id: str, occurrence: str | None, seen: datetime | None, cancelled: bool
) -> TravelSegment | None:
    if not (flight.carrier and flight.number and flight.origin and flight.destination and flight.departure):
        return None
    departure, approximate = _instant(flight.departure)
    arrival: datetime | None = None
    if flight.arrival is not None:
        arrival, late = _instant(flight.arrival)
        approximate = approximate or late
    return TravelSegment(
        carrier=flight.carrier,
        number=flight.number,
        origin=flight.origin,
        destination=flight.destination,
        departure=departure,
        arrival=arrival,
        booking=booking_id,
        occurrence=occurrence,
        operating_carrier=flight.operating_carrier,
        operating_number=flight.operating_number,
        seen=seen,
        cancelled=cancelled,
        approximate=approximate,
    )


def segments_of(
    booking: Booking,
    *,
    booking_id: str | None = None,
    occurrence: str | None = None,
    seen: datetime | None = None,
) -> tuple[TravelSegment, ...]:
    """The air segments of one booking version, as one of its travellers' `TravelSegment`s.

    Open and non-air segments, and those without carrier, number, airports or a departure date, carry no
    flight to chain and are left out. A segment with a cancelled status (XX, HX, UN ...) or a booking
    cancelled in this version is marked cancelled, so that a later version decides. `booking_id` defaults
    to the locator.
    """
    ident = booking_id or booking.locator or ""
    found = []
    for segment in booking.segments:
        if segment.flight is None or segment.open:
            continue
        status = (segment.status or "").strip().upper()
        made = _flight_segment(
            segment.flight, ident, occurrence, seen, booking.cancelled or status in _INACTIVE_STATUSES
        )
        if made is not None:
            found.append(made)
    return tuple(found)
