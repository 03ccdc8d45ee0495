"""The features a pre-determined criterion may use: a closed, typed, documented set.

A traveller is assessed in the context of its booking and of the pushed flight. :func:`traveller_features`
turns ``(flight, booking, traveller, as_of)`` into one :class:`TravellerFeatures` record; :data:`FEATURES`
describes every field of it (name, type, meaning, and whether it is a protected characteristic or so
common that a condition on it alone is not targeted). A criterion can use nothing else: meal and health
codes, other SSR/OSI codes, remarks and every other free text are not features at all (Art 6(4) of
Directive 2016/681 and C-817/19: criteria never rest on sensitive data, directly or indirectly), and names,
contacts and document numbers are for watchlists, not for criteria.

Journeys. The itinerary (confirmed air segments, in time order) is cut into journeys at every stopover:
a gap of more than 24 hours between arriving somewhere and flying on (the IATA stopover rule), or a change of
airport (a surface sector). ``origin``, ``destination``, ``via``, ``route`` and ``connections`` describe the
journey the pushed flight belongs to; ``one_way`` and ``length_of_stay_days`` describe the whole itinerary.

Travel across bookings. The features from ``broken_travel`` to ``flights_30d`` read the traveller's journeys
across all their bookings (a :class:`~openpiu.model.journeys.TravelHistory`, built by
``openpiu.analysis.journeys`` and passed in by the caller). Without it they are unknown and no condition on
them holds; with it, ``TravellerFeatures.notes`` says what stands behind each value (legs, bookings, why a
journey is broken), for the explanation.

Countries are ISO 3166-1 alpha-2 everywhere: airports through ``openpiu.model.airports``, nationalities
from the travel documents' ICAO codes (``DEU``, ``D``) converted. Text values are upper case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Final

import pycountry

from openpiu.model.airports import airport
from openpiu.model.journeys import Crossing, TravelHistory, local_date
from openpiu.model.record import record
from openpiu.model.schengen import in_schengen
from openpiu.model.travel import Booking, CheckIn, Flight, Payment, Segment, Traveller
from openpiu.model.values import PartialDate, ScheduledTime

__all__ = [
    "CHECK_IN_STATUSES",
    "FEATURES",
    "PAYMENT_FORMS",
    "TRAVELLER_TYPES",
    "TRAVEL_FEATURES",
    "FeatureSpec",
    "FeatureType",
    "FeatureValue",
    "TravellerFeatures",
    "booking_features",
    "country_code",
    "traveller_features",
]


class FeatureType(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    TEXTS = "texts"  # a set of texts: a condition holds when any of them satisfies it
    BOOLEAN = "boolean"
    DATE = "date"


class CodeKind(StrEnum):
    """The shape every value of a text feature must have, checked by the linter."""

    AIRPORT = "airport"  # IATA airport code, 3 letters
    COUNTRY = "country"  # ISO 3166-1 alpha-2
    CARRIER = "carrier"  # IATA airline designator, 2 characters (3 letters for ICAO)
    FLIGHT = "flight"  # carrier and number, e.g. LH400
    ROUTE = "route"  # airports joined by "-"
    FREE = "free"  # an office id, an agency number: any short code


@dataclasses.dataclass(frozen=True, slots=True)
class FeatureSpec:
    """What a feature is, for the linter and for the people who write and review criteria."""

    name: str
    type: FeatureType
    description: str
    code: CodeKind | None = None
    #: A protected characteristic (nationality, gender, age): usable only together with conditions on
    #: behaviour or travel, never alone or only with other protected characteristics.
    protected: bool = False
    #: Shared by a large part of all travellers (carrier, destination country...): a criterion resting
    #: on it alone is not targeted.
    common: bool = False
    #: The only values a text feature can take (None: any code of the right shape).
    values: frozenset[str] | None = None
    unit: str | None = None


PAYMENT_FORMS: Final = frozenset(
    {"CASH", "CARD", "CHEQUE", "INVOICE", "MISCELLANEOUS", "GOVERNMENT", "OTHER"}
)
CHECK_IN_STATUSES: Final = frozenset({"NOT_CHECKED_IN", "CHECKED_IN", "BOARDED"})
TRAVELLER_TYPES: Final = frozenset({"ADULT", "CHILD", "INFANT"})

_N, _T, _S, _B, _D = (
    FeatureType.NUMBER,
    FeatureType.TEXT,
    FeatureType.TEXTS,
    FeatureType.BOOLEAN,
    FeatureType.DATE,
)
_AIRPORT, _COUNTRY = CodeKind.AIRPORT, CodeKind.COUNTRY

_SPECS: tuple[FeatureSpec, ...] = (
    # -- the pushed flight
    FeatureSpec("flight_date", _D, "Local date of departure of the pushed flight.", common=True),
    FeatureSpec(
        "carrier", _T, "Marketing carrier of the pushed flight (IATA code).", CodeKind.CARRIER, common=True
    ),
    FeatureSpec(
        "operating_carrier",
        _T,
        "Carrier operating the pushed flight (the marketing carrier when no codeshare is given).",
        CodeKind.CARRIER,
        common=True,
    ),
    FeatureSpec(
        "flight", _T, "Designator of the pushed flight: carrier and number, e.g. LH400.", CodeKind.FLIGHT
    ),
    FeatureSpec("flight_origin", _T, "Departure airport of the pushed flight (IATA).", _AIRPORT, common=True),
    FeatureSpec(
        "flight_destination", _T, "Arrival airport of the pushed flight (IATA).", _AIRPORT, common=True
    ),
    FeatureSpec(
        "flight_origin_country",
        _T,
        "Country of the pushed flight's departure airport.",
        _COUNTRY,
        common=True,
    ),
    FeatureSpec(
        "flight_destination_country",
        _T,
        "Country of the pushed flight's arrival airport.",
        _COUNTRY,
        common=True,
    ),
    # -- the journey the pushed flight belongs to
    FeatureSpec(
        "origin",
        _T,
        "Where the traveller's journey through the pushed flight begins: the first airport after the last "
        "stopover (more than 24 hours) before it.",
        _AIRPORT,
    ),
    FeatureSpec(
        "destination",
        _T,
        "Where that journey ends: the last airport before the next stopover, or the end of the itinerary.",
        _AIRPORT,
    ),
    FeatureSpec("via", _S, "The airports where the traveller connects on that journey.", _AIRPORT),
    FeatureSpec(
        "route",
        _T,
        "The journey's airports in order, joined by '-', e.g. IST-FRA-JFK (use `matches`: '*-FRA-*').",
        CodeKind.ROUTE,
    ),
    FeatureSpec("origin_country", _T, "Country of the journey's origin.", _COUNTRY, common=True),
    FeatureSpec("destination_country", _T, "Country of the journey's destination.", _COUNTRY, common=True),
    FeatureSpec("via_countries", _S, "Countries of the journey's connecting airports.", _COUNTRY),
    FeatureSpec(
        "connections", _N, "Number of connections on the journey (0 for a direct flight).", unit="count"
    ),
    # -- the itinerary and the booking
    FeatureSpec(
        "one_way",
        _B,
        "The booking has no return: the ticket says so, or no later journey comes back to the country "
        "where the itinerary began.",
        common=True,
    ),
    FeatureSpec(
        "length_of_stay_days",
        _N,
        "Days between arriving at the first journey's destination and leaving on the return journey "
        "(unknown for one-way bookings).",
        unit="days",
    ),
    FeatureSpec(
        "days_booked_before_departure",
        _N,
        "Days between the creation of the booking and the departure of the pushed flight (0: same day).",
        unit="days",
    ),
    FeatureSpec(
        "form_of_payment",
        _S,
        "How the booking and the traveller's tickets were paid: " + ", ".join(sorted(PAYMENT_FORMS)) + ".",
        values=PAYMENT_FORMS,
        common=True,
    ),
    FeatureSpec(
        "booking_office",
        _T,
        "Office that made the booking (its office id, e.g. a GDS pseudo city).",
        CodeKind.FREE,
    ),
    FeatureSpec("booking_agency", _T, "IATA number of the travel agency or airline office.", CodeKind.FREE),
    FeatureSpec(
        "booking_agent_type",
        _T,
        "Who booked, as the carrier sends it: A airline agent, T travel agent, ...",
        CodeKind.FREE,
        common=True,
    ),
    FeatureSpec("booking_country", _T, "Country of the office that made the booking.", _COUNTRY),
    FeatureSpec(
        "ticket_issue_location",
        _S,
        "Where the traveller's tickets were issued (airport or city code).",
        CodeKind.FREE,
    ),
    FeatureSpec(
        "group_size", _N, "Number of travellers on the booking (infants included).", unit="travellers"
    ),
    FeatureSpec(
        "frequent_flyer", _B, "The traveller gave a frequent-flyer number on this booking.", common=True
    ),
    # -- the traveller on the pushed flight
    FeatureSpec(
        "check_in_status",
        _T,
        "On the pushed flight: NOT_CHECKED_IN, CHECKED_IN or BOARDED.",
        values=CHECK_IN_STATUSES,
        common=True,
    ),
    FeatureSpec("bags", _N, "Checked bags on the pushed flight (unknown before check-in).", unit="bags"),
    FeatureSpec("bag_weight_kg", _N, "Total weight of the checked bags in kg (pounds converted).", unit="kg"),
    # -- the traveller's travel across all their bookings (the travel history; unknown without it)
    FeatureSpec(
        "broken_travel",
        _B,
        "The journey through the pushed flight connects, on separate bookings, across the Schengen external "
        "border: an arrival from outside on one booking and the onward flight inside the area on another (or "
        "the mirror image), so that one booking hides where the journey begins or ends.",
    ),
    FeatureSpec(
        "travel_origin",
        _T,
        "Where the journey through the pushed flight begins, across all the traveller's bookings (differs "
        "from `origin` when another booking brought the traveller).",
        _AIRPORT,
    ),
    FeatureSpec("travel_origin_country", _T, "Country of that journey's beginning.", _COUNTRY, common=True),
    FeatureSpec(
        "travel_destination",
        _T,
        "Where the journey through the pushed flight ends, across all the traveller's bookings.",
        _AIRPORT,
    ),
    FeatureSpec("travel_destination_country", _T, "Country of that journey's end.", _COUNTRY, common=True),
    FeatureSpec(
        "schengen_entry_from",
        _T,
        "The airport outside the Schengen area from which the traveller last flew into it, on or before the "
        "pushed flight (the pushed flight itself when it enters the area).",
        _AIRPORT,
    ),
    FeatureSpec(
        "schengen_entry_country",
        _T,
        "Country of that airport outside the Schengen area.",
        _COUNTRY,
        common=True,
    ),
    FeatureSpec(
        "days_since_schengen_entry",
        _N,
        "Days from the arrival of that flight into the Schengen area to the departure of the pushed flight "
        "(0: the same day, or the pushed flight is the entry).",
        unit="days",
    ),
    FeatureSpec(
        "countries_30d",
        _N,
        "Countries the traveller flew from or to in the 30 days up to the pushed flight's departure, the "
        "pushed flight's own included.",
        unit="countries",
    ),
    FeatureSpec(
        "flights_30d",
        _N,
        "Flights the traveller took or is booked on in the 30 days up to the pushed flight's departure, the "
        "pushed flight included.",
        unit="flights",
    ),
    # -- protected characteristics: only in combination with conditions on travel or behaviour
    FeatureSpec(
        "nationality",
        _S,
        "Nationalities in the traveller's travel documents. PROTECTED: never alone.",
        _COUNTRY,
        protected=True,
        common=True,
    ),
    FeatureSpec(
        "gender",
        _T,
        "M, F, U or X as the booking gives it. PROTECTED: never alone.",
        protected=True,
        common=True,
        values=frozenset({"M", "F", "U", "X"}),
    ),
    FeatureSpec(
        "age",
        _N,
        "Age in full years on the flight date (from the date of birth; a year-only date counts from 1 "
        "January). PROTECTED: never alone.",
        protected=True,
        common=True,
        unit="years",
    ),
    FeatureSpec(
        "traveller_type",
        _T,
        "ADULT, CHILD or INFANT as the booking types the traveller (an age band). PROTECTED: never alone.",
        values=TRAVELLER_TYPES,
        protected=True,
        common=True,
    ),
)

#: Every feature a criterion may use, by name. Anything else is not a feature.
FEATURES: Final[Mapping[str, FeatureSpec]] = {spec.name: spec for spec in _SPECS}

FeatureValue = int | str | bool | date | frozenset[str] | None


@record
class TravellerFeatures:
    """The features of one traveller on one pushed flight; each field is described in :data:`FEATURES`.

    ``None`` (and an empty set) means the data does not say: no condition holds on an unknown value.
    ``as_of`` is the day of the assessment (which criteria are in force), not a feature; nor are ``notes``.
    """

    as_of: date
    flight_date: date | None
    carrier: str | None
    operating_carrier: str | None
    flight: str | None
    flight_origin: str | None
    flight_destination: str | None
    flight_origin_country: str | None
    flight_destination_country: str | None
    origin: str | None
    destination: str | None
    via: frozenset[str]
    route: str | None
    origin_country: str | None
    destination_country: str | None
    via_countries: frozenset[str]
    connections: int | None
    one_way: bool | None
    length_of_stay_days: int | None
    days_booked_before_departure: int | None
    form_of_payment: frozenset[str]
    booking_office: str | None
    booking_agency: str | None
    booking_agent_type: str | None
    booking_country: str | None
    ticket_issue_location: frozenset[str]
    group_size: int
    frequent_flyer: bool
    check_in_status: str
    bags: int | None
    bag_weight_kg: int | None
    broken_travel: bool | None
    travel_origin: str | None
    travel_origin_country: str | None
    travel_destination: str | None
    travel_destination_country: str | None
    schengen_entry_from: str | None
    schengen_entry_country: str | None
    days_since_schengen_entry: int | None
    countries_30d: int | None
    flights_30d: int | None
    nationality: frozenset[str]
    gender: str | None
    age: int | None
    traveller_type: str
    #: What stands behind a value that is more than it says, by feature name (the journey features: the
    #: legs and bookings they come from), for the explanation an analyst reads. Not a feature.
    notes: tuple[tuple[str, str], ...] = ()

    def note(self, name: str) -> str | None:
        return next((text for key, text in self.notes if key == name), None)

    def value(self, name: str) -> FeatureValue:
        """The value of feature ``name``; KeyError for a name that is not a feature."""
        if name not in FEATURES:
            raise KeyError(name)
        value: FeatureValue = getattr(self, name)
        return value

    def as_dict(self) -> dict[str, FeatureValue]:
        return {name: getattr(self, name) for name in FEATURES}


# --- computing them -----------------------------------------------------------------------------------

_INACTIVE_STATUSES = frozenset({"XX", "XK", "XL", "XR", "HX", "UN", "UC", "NO", "HL", "LL"})
_STOPOVER = timedelta(hours=24)
_LB_TO_KG = Decimal("0.45359237")

_PAYMENT_FORMS: Mapping[str, str] = {
    "CA": "CASH",
    "CASH": "CASH",
    "CC": "CARD",
    "CARD": "CARD",
    "DC": "CARD",
    "CREDITCARD": "CARD",
    "DEBITCARD": "CARD",
    "CK": "CHEQUE",
    "CHEQUE": "CHEQUE",
    "CHECK": "CHEQUE",
    "INV": "INVOICE",
    "IN": "INVOICE",
    "INVOICE": "INVOICE",
    "AGT": "INVOICE",
    "MS": "MISCELLANEOUS",
    "MISC": "MISCELLANEOUS",
    "GR": "GOVERNMENT",
}

# ICAO 9303 nationality codes that are not ISO alpha-3.
_ICAO_NATIONALITY: Mapping[str, str] = {
    "D": "DE",
    "GBD": "GB",
    "GBN": "GB",
    "GBO": "GB",
    "GBP": "GB",
    "GBS": "GB",
    "RKS": "XK",
    "EUE": "EU",
}


@cache
def country_code(code: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for an alpha-2, alpha-3 or ICAO code; the code itself (upper case) when unknown."""
    if not code:
        return None
    text = code.strip().upper()
    if not text:
        return None
    if text in _ICAO_NATIONALITY:
        return _ICAO_NATIONALITY[text]
    if len(text) == 3 and text.isalpha():
        found = pycountry.countries.get(alpha_3=text)
        if found is not None:
            return str(found.alpha_2)
    return text


def _airport_country(code: str | None) -> str | None:
    info = airport(code)
    return info.country.upper() if info and info.country else None


def _upper(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip().upper()
    return text or None


@dataclasses.dataclass(frozen=True, slots=True)
class _Leg:
    flight: Flight
    origin: str | None
    destination: str | None
    departure: datetime | None  # UTC (naive) when known, else the local time
    arrival: datetime | None
    departure_date: date | None  # local
    arrival_date: date | None  # local


def _instant(time: ScheduledTime | None) -> datetime | None:
    if time is None:
        return None
    return time.utc.replace(tzinfo=None) if time.utc is not None else time.local


def _leg(flight: Flight) -> _Leg:
    dep, arr = flight.departure, flight.arrival
    return _Leg(
        flight=flight,
        origin=_upper(flight.origin),
        destination=_upper(flight.destination),
        departure=_instant(dep),
        arrival=_instant(arr),
        departure_date=dep.local.date() if dep else None,
        arrival_date=arr.local.date() if arr else None,
    )


def _same_flight(a: Flight, b: Flight) -> bool:
    """The same flight on the same day, by any of its designators."""
    names_a = {(a.carrier, a.number.lstrip("0"))}
    if a.operating_carrier and a.operating_number:
        names_a.add((a.operating_carrier, a.operating_number.lstrip("0")))
    names_b = {(b.carrier, b.number.lstrip("0"))}
    if b.operating_carrier and b.operating_number:
        names_b.add((b.operating_carrier, b.operating_number.lstrip("0")))
    if not names_a & names_b:
        return False
    day_a = a.departure.local.date() if a.departure else None
    day_b = b.departure.local.date() if b.departure else None
    if day_a and day_b and day_a != day_b:
        return False
    return not (a.origin and b.origin and a.origin.upper() != b.origin.upper())


def _air_segments(booking: Booking) -> list[Segment]:
    return [
        s
        for s in booking.segments
        if s.flight is not None and not s.open and (s.status or "").upper() not in _INACTIVE_STATUSES
    ]


def _itinerary(flight: Flight, booking: Booking) -> tuple[list[_Leg], int]:
    """The booking's confirmed air legs in time order (duplicates dropped) and the pushed flight's index."""
    legs: list[_Leg] = []
    seen: set[tuple[str, str, date | None, str | None, str | None]] = set()
    for segment in _air_segments(booking):
        assert segment.flight is not None
        leg = _leg(segment.flight)
        key = (segment.flight.carrier, segment.flight.number, leg.departure_date, leg.origin, leg.destination)
        if key not in seen:
            seen.add(key)
            legs.append(leg)
    pushed = next((leg for leg in legs if _same_flight(leg.flight, flight)), None)
    if pushed is None:  # the booking does not list the pushed flight (or lists it cancelled): add it
        pushed = _leg(flight)
        legs.append(pushed)
    order = sorted(range(len(legs)), key=lambda i: (_sort_time(legs[i]), i))
    legs = [legs[i] for i in order]
    return legs, next(i for i, leg in enumerate(legs) if leg is pushed)


def _sort_time(leg: _Leg) -> datetime:
    return leg.departure or datetime.combine(leg.departure_date or date.max, datetime.min.time())


def _stopover(before: _Leg, after: _Leg) -> bool:
    """A break between two legs: a change of airport, or more than 24 hours on the ground."""
    if before.destination and after.origin and before.destination != after.origin:
        return True
    if before.arrival and after.departure:
        return after.departure - before.arrival > _STOPOVER
    if before.arrival_date and after.departure_date:
        return (after.departure_date - before.arrival_date).days > 1
    return False


def _journeys(legs: list[_Leg]) -> list[list[_Leg]]:
    journeys: list[list[_Leg]] = []
    for leg in legs:
        if journeys and not _stopover(journeys[-1][-1], leg):
            journeys[-1].append(leg)
        else:
            journeys.append([leg])
    return journeys


@dataclasses.dataclass(frozen=True, slots=True)
class _BookingFacts:
    """What every traveller of a booking on the pushed flight shares."""

    flight_date: date | None
    carrier: str | None
    operating_carrier: str | None
    flight: str | None
    flight_origin: str | None
    flight_destination: str | None
    origin: str | None
    destination: str | None
    via: frozenset[str]
    route: str | None
    connections: int
    round_trip: bool
    length_of_stay_days: int | None
    days_booked_before_departure: int | None
    booking_payments: frozenset[str]
    booking_office: str | None
    booking_agency: str | None
    booking_agent_type: str | None
    booking_country: str | None
    group_size: int
    pushed_segments: tuple[Segment, ...]
    pushed: Flight


def _booking_facts(flight: Flight, booking: Booking) -> _BookingFacts:
    legs, index = _itinerary(flight, booking)
    journeys = _journeys(legs)
    position = 0
    journey = journeys[0]
    for candidate in journeys:
        if position <= index < position + len(candidate):
            journey = candidate
            break
        position += len(candidate)
    airports = [journey[0].origin, *(leg.destination for leg in journey)]
    first_origin_country = _airport_country(journeys[0][0].origin)
    last = journeys[-1][-1]
    round_trip = len(journeys) > 1 and (
        (last.destination is not None and last.destination == journeys[0][0].origin)
        or (first_origin_country is not None and _airport_country(last.destination) == first_origin_country)
    )
    stay: int | None = None
    if round_trip:
        arrived = journeys[0][-1].arrival_date or journeys[0][-1].departure_date
        leaves = journeys[-1][0].departure_date
        if arrived and leaves:
            stay = (leaves - arrived).days
    flight_date = flight.departure.local.date() if flight.departure else None
    created = booking.created_at or min(
        (loc.created_at for loc in booking.locators if loc.created_at), default=None
    )
    booked_before = (flight_date - created.date()).days if created and flight_date else None
    office = booking.office
    return _BookingFacts(
        flight_date=flight_date,
        carrier=_upper(flight.carrier),
        operating_carrier=_upper(flight.operating_carrier or flight.carrier),
        flight=_upper(f"{flight.carrier}{flight.number}"),
        flight_origin=_upper(flight.origin),
        flight_destination=_upper(flight.destination),
        origin=journey[0].origin,
        destination=journey[-1].destination,
        via=frozenset(a for leg in journey[:-1] if (a := leg.destination)),
        route="-".join(a or "?" for a in airports) if any(airports) else None,
        connections=len(journey) - 1,
        round_trip=round_trip,
        length_of_stay_days=stay,
        days_booked_before_departure=booked_before,
        booking_payments=_payment_forms(booking.payments),
        booking_office=_upper(office.office_id) if office else None,
        booking_agency=_upper(office.iata_number) if office else None,
        booking_agent_type=_upper(office.agent_type) if office else None,
        booking_country=country_code(office.country) if office else None,
        group_size=len(booking.travellers),
        pushed_segments=tuple(s for s in booking.segments if s.flight and _same_flight(s.flight, flight)),
        pushed=flight,
    )


def _payment_forms(payments: Iterable[Payment]) -> frozenset[str]:
    forms = set()
    for payment in payments:
        code = (payment.form or "").strip().upper().replace(" ", "").replace("_", "")
        if code:
            forms.add(_PAYMENT_FORMS.get(code, "OTHER"))
    return frozenset(forms)


def _check_ins(facts: _BookingFacts, traveller: Traveller) -> list[CheckIn]:
    found = []
    for segment in facts.pushed_segments:
        for check_in in segment.check_ins:
            if check_in.traveller_ref and traveller.ref:
                if check_in.traveller_ref == traveller.ref:
                    found.append(check_in)
            elif check_in.surname and check_in.surname.upper() == traveller.surname.upper():
                found.append(check_in)
    return found


def _age(born: PartialDate | None, on: date) -> int | None:
    if born is None:
        return None
    month, day = born.month or 1, born.day or 1
    return on.year - born.year - ((on.month, on.day) < (month, day))


_TRAVEL_WINDOW = timedelta(days=30)
_TRAVEL_FEATURES: Final = (
    "broken_travel",
    "travel_origin",
    "travel_origin_country",
    "travel_destination",
    "travel_destination_country",
    "schengen_entry_from",
    "schengen_entry_country",
    "days_since_schengen_entry",
    "countries_30d",
    "flights_30d",
)
#: The features that read the traveller's travel history (its journeys across bookings).
TRAVEL_FEATURES: Final = frozenset(_TRAVEL_FEATURES)


def _pushed_leg(flight: Flight) -> tuple[datetime, str | None, str | None, bool] | None:
    """The pushed flight's departure (UTC), its two countries and whether it enters the Schengen area."""
    if flight.departure is None or not flight.origin or not flight.destination:
        return None
    departs = flight.departure.utc or flight.departure.local.replace(tzinfo=UTC)
    day = flight.departure.local.date()
    origin, destination = _airport_country(flight.origin), _airport_country(flight.destination)
    enters = (
        origin is not None
        and destination is not None
        and not in_schengen(origin, day)
        and in_schengen(destination, day)
    )
    return departs, origin, destination, enters


def _travel(
    history: TravelHistory | None, flight: Flight
) -> tuple[dict[str, FeatureValue], tuple[tuple[str, str], ...]]:
    """The travel-history features of the traveller on the pushed flight, and what stands behind them."""
    values: dict[str, FeatureValue] = dict.fromkeys(_TRAVEL_FEATURES)
    pushed = _pushed_leg(flight)
    if history is None or not history.known or pushed is None:
        return values, ()
    notes: list[tuple[str, str]] = []
    legs = history.legs()
    where = history.locate(flight)
    reference = pushed[0]
    if where is not None:
        journey = history.journeys[where[0]]
        reference = journey.legs[where[1]].departure
        broken = journey.broken
        values["broken_travel"] = bool(broken)
        if broken:
            notes.append(("broken_travel", "; ".join(b.reason for b in broken)))
        route = "-".join(journey.airports())
        values["travel_origin"] = journey.origin
        values["travel_origin_country"] = journey.legs[0].origin_country
        values["travel_destination"] = journey.destination
        values["travel_destination_country"] = journey.legs[-1].destination_country
        where_from = f"the journey {route} (bookings {', '.join(journey.bookings())})"
        notes.extend(
            (name, where_from)
            for name in (
                "travel_origin",
                "travel_origin_country",
                "travel_destination",
                "travel_destination_country",
            )
        )
    entries = [leg for leg in legs if leg.crossing is Crossing.ENTRY and leg.departure <= reference]
    last = max(entries, key=lambda leg: leg.departure, default=None)
    if last is not None:
        values["schengen_entry_from"] = last.origin
        values["schengen_entry_country"] = last.origin_country
        arrived = local_date(last.arrival, last.destination)
        leaves = local_date(reference, flight.origin or last.destination)
        values["days_since_schengen_entry"] = max(0, (leaves - arrived).days)
        entry = (
            f"{last.designator} {last.origin} to {last.destination} arriving {arrived.isoformat()} "
            f"(bookings {', '.join(last.bookings)})"
        )
        notes.extend(
            (name, entry)
            for name in ("schengen_entry_from", "schengen_entry_country", "days_since_schengen_entry")
        )
    elif where is None and pushed[3]:  # the history lacks the pushed flight, which itself enters the area
        values["schengen_entry_from"] = _upper(flight.origin)
        values["schengen_entry_country"] = pushed[1]
        values["days_since_schengen_entry"] = 0
    window = [leg for leg in legs if reference - _TRAVEL_WINDOW <= leg.departure <= reference]
    countries = {c for leg in window for c in (leg.origin_country, leg.destination_country) if c}
    flights = len(window)
    if where is None:
        countries.update(c for c in pushed[1:3] if isinstance(c, str))
        flights += 1
    values["countries_30d"] = len(countries)
    values["flights_30d"] = flights
    notes.append(("countries_30d", ", ".join(sorted(countries))))
    notes.append(("flights_30d", ", ".join(leg.designator for leg in window) or "none in the history"))
    return values, tuple(notes)


def _traveller(
    facts: _BookingFacts, traveller: Traveller, as_of: date, history: TravelHistory | None = None
) -> TravellerFeatures:
    ticket_one_way = {t.one_way for t in traveller.tickets if t.one_way is not None}
    one_way = True if True in ticket_one_way else (False if ticket_one_way else not facts.round_trip)
    payments = facts.booking_payments | _payment_forms(p for t in traveller.tickets for p in t.payments)
    check_ins = _check_ins(facts, traveller)
    if any(c.boarded for c in check_ins):
        status = "BOARDED"
    elif check_ins:
        status = "CHECKED_IN"
    else:
        status = "NOT_CHECKED_IN"
    bags: int | None = None
    weight: int | None = None
    if check_ins:
        bags, kilos = 0, Decimal(0)
        for check_in in check_ins:
            if check_in.baggage is not None:
                bags += check_in.baggage.count or 0
                pounds = (check_in.baggage.unit or "").lower().startswith("l")
                kilos += Decimal(check_in.baggage.weight or 0) * (_LB_TO_KG if pounds else 1)
        weight = int(kilos.to_integral_value())
    documents = traveller.documents
    nationality = frozenset(n for d in documents if (n := country_code(d.nationality)))
    gender = traveller.gender or next((d.gender for d in documents if d.gender), None)
    born = traveller.date_of_birth or next((d.date_of_birth for d in documents if d.date_of_birth), None)
    travel, notes = _travel(history, facts.pushed)
    return TravellerFeatures(
        as_of=as_of,
        flight_date=facts.flight_date,
        carrier=facts.carrier,
        operating_carrier=facts.operating_carrier,
        flight=facts.flight,
        flight_origin=facts.flight_origin,
        flight_destination=facts.flight_destination,
        flight_origin_country=_airport_country(facts.flight_origin),
        flight_destination_country=_airport_country(facts.flight_destination),
        origin=facts.origin,
        destination=facts.destination,
        via=facts.via,
        route=facts.route,
        origin_country=_airport_country(facts.origin),
        destination_country=_airport_country(facts.destination),
        via_countries=frozenset(c for a in facts.via if (c := _airport_country(a))),
        connections=facts.connections,
        one_way=one_way,
        length_of_stay_days=None if one_way else facts.length_of_stay_days,
        days_booked_before_departure=facts.days_booked_before_departure,
        form_of_payment=payments,
        booking_office=facts.booking_office,
        booking_agency=facts.booking_agency,
        booking_agent_type=facts.booking_agent_type,
        booking_country=facts.booking_country,
        ticket_issue_location=frozenset(x for t in traveller.tickets if (x := _upper(t.issue_location))),
        group_size=facts.group_size,
        frequent_flyer=bool(traveller.frequent_flyers),
        check_in_status=status,
        bags=bags,
        bag_weight_kg=weight,
        broken_travel=_as_bool(travel["broken_travel"]),
        travel_origin=_as_text(travel["travel_origin"]),
        travel_origin_country=_as_text(travel["travel_origin_country"]),
        travel_destination=_as_text(travel["travel_destination"]),
        travel_destination_country=_as_text(travel["travel_destination_country"]),
        schengen_entry_from=_as_text(travel["schengen_entry_from"]),
        schengen_entry_country=_as_text(travel["schengen_entry_country"]),
        days_since_schengen_entry=_as_int(travel["days_since_schengen_entry"]),
        countries_30d=_as_int(travel["countries_30d"]),
        flights_30d=_as_int(travel["flights_30d"]),
        nationality=nationality,
        gender=str(gender) if gender is not None else None,
        age=_age(born, facts.flight_date or as_of),
        traveller_type=str(traveller.type).upper(),
        notes=notes,
    )


def _as_bool(value: FeatureValue) -> bool | None:
    return value if isinstance(value, bool) else None


def _as_text(value: FeatureValue) -> str | None:
    return value if isinstance(value, str) else None


def _as_int(value: FeatureValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def traveller_features(
    flight: Flight,
    booking: Booking,
    traveller: Traveller,
    as_of: date,
    *,
    history: TravelHistory | None = None,
) -> TravellerFeatures:
    """The features of ``traveller`` (on ``booking``) on the pushed ``flight``, assessed on ``as_of``.

    ``history`` is the traveller's journeys across all their bookings (``openpiu.analysis.journeys``); without
    it (or with an empty one) the travel features are unknown, and no condition on them holds.
    """
    return _traveller(_booking_facts(flight, booking), traveller, as_of, history)


def booking_features(
    flight: Flight,
    booking: Booking,
    as_of: date,
    *,
    histories: Mapping[str, TravelHistory] | None = None,
) -> tuple[TravellerFeatures, ...]:
    """The features of every traveller of ``booking`` on ``flight`` (the booking's facts computed once).

    ``histories`` gives travellers' travel histories by their reference in the booking.
    """
    facts = _booking_facts(flight, booking)
    found = histories or {}
    return tuple(
        _traveller(facts, traveller, as_of, found.get(traveller.ref) if traveller.ref else None)
        for traveller in booking.travellers
    )
