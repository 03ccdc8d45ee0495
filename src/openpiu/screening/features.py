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

Countries are ISO 3166-1 alpha-2 everywhere: airports through ``openpiu.model.airports``, nationalities
from the travel documents' ICAO codes (``DEU``, ``D``) converted. Text values are upper case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Final

import pycountry

from openpiu.model.airports import airport
from openpiu.model.record import record
from openpiu.model.travel import Booking, CheckIn, Flight, Payment, Segment, Traveller
from openpiu.model.values import PartialDate, ScheduledTime

__all__ = [
    "CHECK_IN_STATUSES",
    "FEATURES",
    "PAYMENT_FORMS",
    "TRAVELLER_TYPES",
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
    ``as_of`` is the day of the assessment (which criteria are in force), not a feature.
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
    nationality: frozenset[str]
    gender: str | None
    age: int | None
    traveller_type: str

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


def _traveller(facts: _BookingFacts, traveller: Traveller, as_of: date) -> TravellerFeatures:
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
        nationality=nationality,
        gender=str(gender) if gender is not None else None,
        age=_age(born, facts.flight_date or as_of),
        traveller_type=str(traveller.type).upper(),
    )


def traveller_features(
    flight: Flight, booking: Booking, traveller: Traveller, as_of: date
) -> TravellerFeatures:
    """The features of ``traveller`` (on ``booking``) on the pushed ``flight``, assessed on ``as_of``."""
    return _traveller(_booking_facts(flight, booking), traveller, as_of)


def booking_features(flight: Flight, booking: Booking, as_of: date) -> tuple[TravellerFeatures, ...]:
    """The features of every traveller of ``booking`` on ``flight`` (the booking's facts computed once)."""
    facts = _booking_facts(flight, booking)
    return tuple(_traveller(facts, traveller, as_of) for traveller in booking.travellers)
