"""The features of a traveller: hand-built bookings with the values a supervisor expects, and invariants on
generated traffic. The set is closed, typed and documented, and holds nothing sensitive."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from openpiu.analysis.journeys import chain, segments_of
from openpiu.model import (
    Baggage,
    Booking,
    BookingOffice,
    CheckIn,
    Flight,
    FrequentFlyer,
    Gender,
    PartialDate,
    Payment,
    RecordLocator,
    ScheduledTime,
    Segment,
    Ticket,
    TravelDocument,
    Traveller,
    TravellerType,
)
from openpiu.model.journeys import TravelHistory
from openpiu.screening.features import (
    FEATURES,
    FeatureType,
    TravellerFeatures,
    booking_features,
    country_code,
    traveller_features,
)
from openpiu.synth.corpus import demo_push

AS_OF = date(2026, 11, 29)


def flight(designator: str, origin: str, destination: str, departs: str, arrives: str) -> Flight:
    return Flight(
        carrier=designator[:2],
        number=designator[2:],
        origin=origin,
        destination=destination,
        departure=ScheduledTime.at(origin, datetime.fromisoformat(departs)),
        arrival=ScheduledTime.at(destination, datetime.fromisoformat(arrives)),
    )


FRA_IST = flight("TK1590", "FRA", "IST", "2026-12-01T10:00", "2026-12-01T14:20")
IST_FRA = flight("TK1591", "IST", "FRA", "2026-12-08T16:00", "2026-12-08T18:30")
IST_FRA_EARLY = flight("TK1587", "IST", "FRA", "2026-12-01T07:00", "2026-12-01T09:10")
FRA_JFK = flight("LH400", "FRA", "JFK", "2026-12-01T11:30", "2026-12-01T14:15")
IST_DXB = flight("EK124", "IST", "DXB", "2026-12-03T09:00", "2026-12-03T14:00")
MUC_FRA = flight("LH101", "MUC", "FRA", "2026-12-01T08:00", "2026-12-01T09:00")


def traveller(ref: str = "1", **fields: Any) -> Traveller:
    return Traveller(**({"surname": "EXAMPLE", "given_names": "ALEX", "ref": ref} | fields))


def booking(*flights: Flight, travellers: tuple[Traveller, ...] | None = None, **fields: Any) -> Booking:
    values: dict[str, Any] = {
        "locator": "ABC123",
        "created_at": datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        "segments": tuple(Segment(flight=f, status="HK") for f in flights),
        "travellers": travellers or (traveller(),),
    }
    return Booking(**(values | fields))


def features_of(pushed: Flight, b: Booking, who: Traveller | None = None) -> TravellerFeatures:
    return traveller_features(pushed, b, who or b.travellers[0], AS_OF)


# --- the itinerary ---------------------------------------------------------------------------------------

ITINERARIES: list[tuple[str, Flight, Booking, dict[str, Any]]] = [
    (
        "direct one-way",
        FRA_IST,
        booking(FRA_IST),
        {
            "flight": "TK1590",
            "carrier": "TK",
            "operating_carrier": "TK",
            "flight_date": date(2026, 12, 1),
            "flight_origin": "FRA",
            "flight_destination_country": "TR",
            "origin": "FRA",
            "destination": "IST",
            "via": frozenset(),
            "route": "FRA-IST",
            "origin_country": "DE",
            "destination_country": "TR",
            "connections": 0,
            "one_way": True,
            "length_of_stay_days": None,
            "days_booked_before_departure": 2,
        },
    ),
    (
        "a connection in Frankfurt",
        FRA_JFK,
        booking(FRA_JFK, IST_FRA_EARLY),  # segments out of order: time decides
        {
            "origin": "IST",
            "destination": "JFK",
            "via": frozenset({"FRA"}),
            "via_countries": frozenset({"DE"}),
            "route": "IST-FRA-JFK",
            "origin_country": "TR",
            "destination_country": "US",
            "flight_origin_country": "DE",
            "connections": 1,
            "one_way": True,
        },
    ),
    (
        "a domestic feeder is a connection, not a return",
        FRA_JFK,
        booking(MUC_FRA, FRA_JFK),
        {"origin": "MUC", "route": "MUC-FRA-JFK", "connections": 1, "one_way": True},
    ),
    (
        "a round trip, outbound",
        FRA_IST,
        booking(FRA_IST, IST_FRA),
        {"origin": "FRA", "destination": "IST", "one_way": False, "length_of_stay_days": 7},
    ),
    (
        "a round trip, inbound: the journey is the return",
        IST_FRA,
        booking(FRA_IST, IST_FRA),
        {
            "origin": "IST",
            "destination": "FRA",
            "route": "IST-FRA",
            "one_way": False,
            "length_of_stay_days": 7,
        },
    ),
    (
        "more than 24 hours on the ground is a stopover",
        IST_DXB,
        booking(FRA_IST, IST_DXB),
        {"origin": "IST", "destination": "DXB", "connections": 0, "one_way": True},
    ),
    (
        "a cancelled return does not count",
        FRA_IST,
        dataclasses.replace(
            booking(FRA_IST),
            segments=(Segment(flight=FRA_IST, status="HK"), Segment(flight=IST_FRA, status="HX")),
        ),
        {"one_way": True, "length_of_stay_days": None},
    ),
    (
        "the ticket's one-way flag wins over the itinerary",
        FRA_IST,
        booking(
            FRA_IST,
            IST_FRA,
            travellers=(traveller(tickets=(Ticket("2201234567890", one_way=True, issue_location="ist"),)),),
        ),
        {"one_way": True, "length_of_stay_days": None, "ticket_issue_location": frozenset({"IST"})},
    ),
    (
        "a pushed flight the booking does not list is added to its itinerary",
        FRA_JFK,
        booking(IST_FRA_EARLY),
        {"origin": "IST", "route": "IST-FRA-JFK", "connections": 1},
    ),
    (
        "a booking without segments is the pushed flight alone",
        FRA_JFK,
        booking(),
        {"origin": "FRA", "destination": "JFK", "connections": 0, "one_way": True},
    ),
    (
        "the creation date comes from the record locator when the booking has none",
        FRA_IST,
        booking(
            FRA_IST,
            created_at=None,
            locators=(RecordLocator("ABC123", created_at=datetime(2026, 11, 20, 23, 0, tzinfo=UTC)),),
        ),
        {"days_booked_before_departure": 11},
    ),
    (
        "nothing known about the creation",
        FRA_IST,
        booking(FRA_IST, created_at=None),
        {"days_booked_before_departure": None},
    ),
]


@pytest.mark.parametrize(("case", "pushed", "b", "expected"), ITINERARIES, ids=[c[0] for c in ITINERARIES])
def test_itinerary_features(case: str, pushed: Flight, b: Booking, expected: dict[str, Any]) -> None:
    found = features_of(pushed, b)
    assert {name: found.value(name) for name in expected} == expected, case


# --- payment, office, group, check-in ---------------------------------------------------------------------

PAYMENTS = [
    ((Payment("CA"),), (), {"CASH"}),
    ((Payment("CC", vendor="VI"),), (), {"CARD"}),
    ((Payment("INV"),), (), {"INVOICE"}),
    ((Payment("MS"), Payment("CK")), (), {"MISCELLANEOUS", "CHEQUE"}),
    ((Payment("ZZ"),), (), {"OTHER"}),
    ((), (Payment("CA"),), {"CASH"}),  # paid on the traveller's ticket
    ((Payment("CC"),), (Payment("CA"),), {"CARD", "CASH"}),
    ((), (), set()),
]


@pytest.mark.parametrize(("on_booking", "on_ticket", "expected"), PAYMENTS)
def test_form_of_payment(
    on_booking: tuple[Payment, ...], on_ticket: tuple[Payment, ...], expected: set[str]
) -> None:
    who = traveller(tickets=(Ticket("1", payments=on_ticket),))
    b = booking(FRA_IST, travellers=(who,), payments=on_booking)
    assert features_of(FRA_IST, b).form_of_payment == frozenset(expected)


def test_office_group_and_frequent_flyer() -> None:
    office = BookingOffice(office_id="ist1a0980", iata_number="12345675", agent_type="T", country="TUR")
    first = traveller("1", frequent_flyers=(FrequentFlyer("TK", "123456"),))
    b = booking(FRA_IST, travellers=(first, traveller("2"), traveller("3")), office=office)
    one, two, _ = booking_features(FRA_IST, b, AS_OF)
    assert (one.booking_office, one.booking_agency, one.booking_agent_type, one.booking_country) == (
        "IST1A0980",
        "12345675",
        "T",
        "TR",
    )
    assert one.group_size == two.group_size == 3
    assert (one.frequent_flyer, two.frequent_flyer) == (True, False)
    assert features_of(FRA_IST, booking(FRA_IST)).booking_office is None


CHECK_INS: list[tuple[tuple[CheckIn, ...], str, int | None, int | None]] = [
    ((), "NOT_CHECKED_IN", None, None),
    ((CheckIn(traveller_ref="1"),), "CHECKED_IN", 0, 0),
    ((CheckIn(traveller_ref="1", baggage=Baggage(count=2, weight=31, unit="kg")),), "CHECKED_IN", 2, 31),
    (
        (CheckIn(traveller_ref="1", baggage=Baggage(count=1, weight=44, unit="lb"), boarded=True),),
        "BOARDED",
        1,
        20,
    ),
    ((CheckIn(traveller_ref="2", baggage=Baggage(count=3, weight=60)),), "NOT_CHECKED_IN", None, None),
    ((CheckIn(surname="example"),), "CHECKED_IN", 0, 0),  # no reference: by surname
]


@pytest.mark.parametrize(("check_ins", "status", "bags", "kilos"), CHECK_INS)
def test_check_in_and_bags(
    check_ins: tuple[CheckIn, ...], status: str, bags: int | None, kilos: int | None
) -> None:
    b = booking(
        travellers=(traveller("1"), traveller("2", given_names="SAM")),
        segments=(
            Segment(flight=FRA_IST, status="HK", check_ins=check_ins),
            Segment(flight=IST_FRA, status="HK"),
        ),
    )
    found = features_of(FRA_IST, b)
    assert (found.check_in_status, found.bags, found.bag_weight_kg) == (status, bags, kilos)


def test_check_in_on_another_flight_does_not_count() -> None:
    b = booking(
        segments=(
            Segment(flight=FRA_IST, status="HK"),
            Segment(flight=IST_FRA, status="HK", check_ins=(CheckIn(traveller_ref="1", boarded=True),)),
        )
    )
    assert features_of(FRA_IST, b).check_in_status == "NOT_CHECKED_IN"


# --- protected characteristics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "nationality", "gender", "age", "kind"),
    [
        (traveller(), frozenset(), None, None, "ADULT"),
        (
            traveller(
                gender=Gender.FEMALE,
                date_of_birth=PartialDate(1990, 12, 2),  # the day after the flight: still 35
                documents=(
                    TravelDocument("DOCS", nationality="DEU"),
                    TravelDocument("DOCO", nationality="D"),
                ),
            ),
            frozenset({"DE"}),
            "F",
            35,
            "ADULT",
        ),
        (
            traveller(
                type=TravellerType.CHILD,
                documents=(
                    TravelDocument(
                        "DOCS", nationality="GBD", gender=Gender.MALE, date_of_birth=PartialDate(2018, 12, 1)
                    ),
                    TravelDocument("DOCS", nationality="tur"),
                ),
            ),
            frozenset({"GB", "TR"}),
            "M",
            8,
            "CHILD",
        ),
        (
            traveller(date_of_birth=PartialDate(1990)),
            frozenset(),
            None,
            36,
            "ADULT",
        ),  # year only: from 1 January
    ],
)
def test_protected_characteristics(
    who: Traveller, nationality: frozenset[str], gender: str | None, age: int | None, kind: str
) -> None:
    found = features_of(FRA_IST, booking(FRA_IST, travellers=(who,)))
    assert (found.nationality, found.gender, found.age, found.traveller_type) == (
        nationality,
        gender,
        age,
        kind,
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DE", "DE"),
        ("deu", "DE"),
        ("D", "DE"),
        ("GBR", "GB"),
        ("GBN", "GB"),
        ("XXX", "XXX"),
        ("", None),
        (None, None),
    ],
)
def test_country_codes(code: str | None, expected: str | None) -> None:
    assert country_code(code) == expected


# --- travel across bookings (the travel history) ------------------------------------------------------------

IST_FRA_ONWARD = flight("TK1591", "IST", "FRA", "2026-12-01T07:00", "2026-12-01T09:10")
FRA_BRU = flight("LH1001", "FRA", "BRU", "2026-12-01T11:30", "2026-12-01T12:35")
CDG_FRA = flight("AF1018", "CDG", "FRA", "2026-11-24T08:00", "2026-11-24T09:15")
TRAVEL = (
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


def history_of(*bookings: Booking) -> TravelHistory:
    return chain(s for b in bookings for s in segments_of(b))


def test_without_a_travel_history_the_travel_features_are_unknown() -> None:
    onward = booking(FRA_BRU, locator="BBB222")
    for history in (None, TravelHistory()):
        found = traveller_features(FRA_BRU, onward, onward.travellers[0], AS_OF, history=history)
        assert {name: found.value(name) for name in TRAVEL} == dict.fromkeys(TRAVEL)
        assert found.notes == ()


def test_an_arrival_from_outside_on_another_booking_is_broken_travel() -> None:
    inbound = booking(IST_FRA_ONWARD, locator="AAA111")
    onward = booking(FRA_BRU, locator="BBB222")
    earlier = booking(CDG_FRA, locator="CCC333")
    history = history_of(inbound, onward, earlier)
    found = traveller_features(FRA_BRU, onward, onward.travellers[0], AS_OF, history=history)
    assert (found.origin, found.route) == ("FRA", "FRA-BRU")  # the booking alone
    assert {name: found.value(name) for name in TRAVEL} == {
        "broken_travel": True,
        "travel_origin": "IST",
        "travel_origin_country": "TR",
        "travel_destination": "BRU",
        "travel_destination_country": "BE",
        "schengen_entry_from": "IST",
        "schengen_entry_country": "TR",
        "days_since_schengen_entry": 0,
        "countries_30d": 4,  # FR, DE, TR, BE
        "flights_30d": 3,
    }
    assert found.note("broken_travel") == (
        "TK1591 IST (TR) to FRA (DE) on booking AAA111, then 2 h 20 min later LH1001 from FRA to BRU (BE) on "
        "separate booking BBB222: the onward booking alone does not show that the journey began outside the "
        "Schengen area"
    )
    assert found.note("travel_origin") == "the journey IST-FRA-BRU (bookings AAA111, BBB222)"
    assert found.note("schengen_entry_from") == "TK1591 IST to FRA arriving 2026-12-01 (bookings AAA111)"
    assert found.note("countries_30d") == "BE, DE, FR, TR"
    # The same flights on one booking: a connection, not broken travel.
    together = booking(IST_FRA_ONWARD, FRA_BRU, locator="AAA111")
    same = traveller_features(FRA_BRU, together, together.travellers[0], AS_OF, history=history_of(together))
    assert same.broken_travel is False
    assert same.note("broken_travel") is None


def test_the_entry_counts_days_and_the_window_looks_back_30_days() -> None:
    later = flight("LH1002", "BRU", "FRA", "2026-12-09T18:00", "2026-12-09T19:00")
    old = flight("LH1400", "FRA", "LHR", "2026-10-01T08:00", "2026-10-01T08:50")
    trips = [booking(f, locator=f"B{i}") for i, f in enumerate((old, IST_FRA_ONWARD, FRA_BRU, later))]
    found = traveller_features(later, trips[-1], trips[-1].travellers[0], AS_OF, history=history_of(*trips))
    assert (found.schengen_entry_from, found.days_since_schengen_entry) == ("IST", 8)
    assert (found.flights_30d, found.countries_30d) == (3, 3)  # not the flight to London in October
    assert found.broken_travel is False  # 8 days in Brussels: a new journey


def test_a_history_that_lacks_the_pushed_flight_still_counts_it() -> None:
    inbound = booking(IST_FRA_ONWARD, locator="AAA111")
    history = history_of(booking(CDG_FRA, locator="CCC333"))
    found = traveller_features(IST_FRA_ONWARD, inbound, inbound.travellers[0], AS_OF, history=history)
    assert found.broken_travel is None
    assert found.travel_origin is None
    assert (found.schengen_entry_from, found.days_since_schengen_entry) == ("IST", 0)
    assert (found.flights_30d, found.countries_30d) == (2, 3)


def test_booking_features_take_each_travellers_history_by_reference() -> None:
    inbound = booking(IST_FRA_ONWARD, locator="AAA111")
    onward = booking(FRA_BRU, locator="BBB222", travellers=(traveller("1"), traveller("2", surname="OTHER")))
    every = booking_features(FRA_BRU, onward, AS_OF, histories={"1": history_of(inbound, onward)})
    assert [f.broken_travel for f in every] == [True, None]


# --- the catalogue ---------------------------------------------------------------------------------------

_PYTHON_TYPES = {
    FeatureType.NUMBER: int,
    FeatureType.TEXT: str,
    FeatureType.TEXTS: frozenset,
    FeatureType.BOOLEAN: bool,
    FeatureType.DATE: date,
}


def test_the_catalogue_describes_every_field_and_nothing_else() -> None:
    fields = [f.name for f in dataclasses.fields(TravellerFeatures) if f.name not in ("as_of", "notes")]
    assert list(FEATURES) == fields
    for spec in FEATURES.values():
        assert spec.description.endswith("."), spec.name
        assert len(spec.description) > 20, spec.name
    assert {n for n, s in FEATURES.items() if s.protected} == {
        "nationality",
        "gender",
        "age",
        "traveller_type",
    }


@pytest.mark.parametrize(
    "word", ["meal", "ssr", "osi", "remark", "text", "health", "religion", "name", "seat"]
)
def test_no_feature_carries_sensitive_data_or_free_text(word: str) -> None:
    assert not [name for name in FEATURES if word in name]
    with pytest.raises(KeyError):
        features_of(FRA_IST, booking(FRA_IST)).value(word)


# --- generated traffic ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_bookings_give_consistent_features(seed: int) -> None:
    push = demo_push(seed=seed, bookings=120)
    assert push.flight is not None
    pushed = push.flight
    screened = 0
    for b in push.bookings:
        every = booking_features(pushed, b, AS_OF)
        assert every == tuple(traveller_features(pushed, b, t, AS_OF) for t in b.travellers)
        for found in every:
            screened += 1
            for name, spec in FEATURES.items():
                value = found.value(name)
                if value is not None:
                    assert isinstance(value, _PYTHON_TYPES[spec.type]), (name, value)
                    if spec.type is FeatureType.NUMBER:
                        assert not isinstance(value, bool), name
            assert found.flight == pushed.designator
            assert found.group_size == len(b.travellers)
            assert found.route is not None
            airports = found.route.split("-")
            assert (airports[0], airports[-1]) == (found.origin, found.destination)
            assert {pushed.origin, pushed.destination} <= set(airports)
            assert found.connections == len(airports) - 2
            assert found.via <= set(airports[1:-1])
            assert found.one_way or found.length_of_stay_days is not None
            for country in (found.origin_country, found.destination_country, *found.nationality):
                assert country is None or len(country) == 2
            assert found.check_in_status in {"NOT_CHECKED_IN", "CHECKED_IN", "BOARDED"}
            assert (found.bags is None) == (found.check_in_status == "NOT_CHECKED_IN")
    assert screened > 120


def test_the_supervisors_guide_lists_exactly_the_features() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "criteria.md").read_text(encoding="utf-8")
    section = text.split("## Features", 1)[1].split("## What the linter", 1)[0]
    listed = re.findall(
        r"^\| `([a-z0-9_]+)` \| (number|text|set|boolean|date) \|", section, flags=re.MULTILINE
    )
    shown = {FeatureType.TEXTS: "set"}
    assert listed == [(name, shown.get(spec.type, str(spec.type))) for name, spec in FEATURES.items()]
    for name, spec in FEATURES.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
        assert ("**protected**" in row) == spec.protected, name
        assert ("common" in row.split("|")[-2]) == spec.common, name
