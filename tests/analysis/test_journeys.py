"""Journeys across bookings: legs deduplicated, chained by connections and stop-overs, returns linked, and
broken travel across the Schengen external border flagged with its reason. Hand-built itineraries with the
answer a PIU analyst expects, and properties that hold for any itinerary."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.analysis.journeys import JourneySettings, TravelSegment, chain, segments_of
from openpiu.model import Booking, Flight, ScheduledTime, Segment
from openpiu.model.journeys import Crossing, Hidden, StopKind, Transfer, TravelHistory

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def seg(
    flight: str,
    route: str,
    departs: float,
    hours: float,
    booking: str = "AAA111",
    **fields: object,
) -> TravelSegment:
    """A segment `departs` hours after T0, flying `hours`, e.g. seg("TK1591", "IST-FRA", 0, 3)."""
    origin, destination = route.split("-")
    departure = T0 + timedelta(hours=departs)
    values: dict[str, object] = {
        "carrier": flight[:2],
        "number": flight[2:],
        "origin": origin,
        "destination": destination,
        "departure": departure,
        "arrival": departure + timedelta(hours=hours),
        "booking": booking,
    }
    return TravelSegment(**(values | fields))  # type: ignore[arg-type]


def routes(history: TravelHistory) -> list[str]:
    return ["-".join(j.airports()) for j in history.journeys]


# --- chaining ---------------------------------------------------------------------------------------------


def test_a_connection_on_one_booking_is_one_journey_and_not_broken() -> None:
    history = chain([seg("TK1591", "IST-FRA", 0, 3), seg("LH1001", "FRA-BRU", 5, 1)])
    assert routes(history) == ["IST-FRA-BRU"]
    (stop,) = history.journeys[0].stops
    assert (stop.kind, stop.transfer, stop.ground_time) == (
        StopKind.CONNECTION,
        Transfer.SAME_AIRPORT,
        timedelta(hours=2),
    )
    assert not stop.separate_bookings
    assert stop.broken is None
    assert [leg.crossing for leg in history.legs()] == [Crossing.ENTRY, Crossing.INSIDE]


def test_arrival_from_outside_and_a_separate_onward_booking_is_broken_travel() -> None:
    history = chain([seg("TK1591", "IST-FRA", 0, 3, "AAA111"), seg("LH1001", "FRA-BRU", 5, 1, "BBB222")])
    (journey,) = history.journeys
    (broken,) = journey.broken
    assert broken.hidden is Hidden.ORIGIN
    assert (broken.before, broken.after) == (("AAA111",), ("BBB222",))
    assert broken.reason == (
        "TK1591 IST (TR) to FRA (DE) on booking AAA111, then 2 h 00 min later LH1001 from FRA to BRU (BE) on "
        "separate booking BBB222: the onward booking alone does not show that the journey began outside the "
        "Schengen area"
    )


def test_inside_then_out_on_a_separate_booking_hides_the_destination() -> None:
    history = chain([seg("SN2587", "BRU-FRA", 0, 1, "AAA111"), seg("LH400", "FRA-JFK", 4, 9, "BBB222")])
    (broken,) = history.journeys[0].broken
    assert broken.hidden is Hidden.DESTINATION
    assert "leaves the Schengen area" in broken.reason


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        (
            ("TK1591", "IST-FRA"),
            ("LH400", "FRA-JFK"),
            "both legs cross the external border: API data on both",
        ),
        (("SN2587", "BRU-FRA"), ("LH1001", "FRA-VIE"), "no leg crosses the border"),
        (("BA902", "LHR-FRA"), ("TK1592", "FRA-IST"), "the traveller stays outside the area on both ends"),
    ],
)
def test_separate_bookings_are_broken_travel_only_across_the_border(
    first: tuple[str, str], second: tuple[str, str], why: str
) -> None:
    history = chain([seg(*first, 0, 2, "AAA111"), seg(*second, 4, 3, "BBB222")])
    (journey,) = history.journeys
    assert journey.stops[0].separate_bookings
    assert journey.broken == (), why


def test_the_same_citys_other_airport_or_a_train_ride_away_still_connects() -> None:
    # Arriving at Cologne, flying on from Frankfurt 4 hours later (136 km): a train ride, a broken journey.
    history = chain([seg("LX1000", "ZRH-CGN", 0, 1, "AAA111"), seg("PC1001", "FRA-ADB", 5, 3, "BBB222")])
    (journey,) = history.journeys
    (stop,) = journey.stops
    assert stop.transfer is Transfer.OVERLAND
    assert 130 < stop.distance_km < 140
    assert journey.airports() == ("ZRH", "CGN", "FRA", "ADB")
    assert journey.broken[0].hidden is Hidden.DESTINATION
    assert "from FRA (136.2 km away)" in journey.broken[0].reason


def test_no_time_to_change_airports_or_too_far_breaks_the_journey() -> None:
    # 150 km in 1 hour cannot be done on the ground; Berlin to Munich (500 km) is a flight, not a transfer.
    assert len(chain([seg("LX1000", "ZRH-CGN", 0, 1), seg("PC1001", "FRA-ADB", 2, 3)]).journeys) == 2
    assert len(chain([seg("TK1723", "IST-BER", 0, 3), seg("LH1001", "MUC-BRU", 10, 1)]).journeys) == 2


def test_stopover_then_a_new_journey_after_the_limit() -> None:
    segments = [
        seg("TK1591", "IST-FRA", 0, 3),
        seg("LH1001", "FRA-BRU", 3 + 30, 1),  # 30 hours in Frankfurt: a stop-over
        seg("SN3001", "BRU-LIS", 34 + 100, 3),  # 100 hours in Brussels: a new journey
    ]
    history = chain(segments)
    assert routes(history) == ["IST-FRA-BRU", "BRU-LIS"]
    assert history.journeys[0].stops[0].kind is StopKind.STOPOVER
    longer = chain(segments, JourneySettings(stopover=timedelta(hours=120)))
    assert routes(longer) == ["IST-FRA-BRU-LIS"]


def test_broken_travel_across_a_stopover_only_when_asked() -> None:
    segments = [seg("TK1591", "IST-FRA", 0, 3, "AAA111"), seg("LH1001", "FRA-BRU", 3 + 30, 1, "BBB222")]
    assert chain(segments).journeys[0].broken == ()
    assert (
        chain(segments, JourneySettings(broken_on_stopovers=True)).journeys[0].broken[0].hidden
        is Hidden.ORIGIN
    )


def test_a_return_is_its_own_journey_linked_to_the_outbound_one() -> None:
    history = chain(
        [
            seg("LH1300", "FRA-IST", 0, 3, "AAA111"),
            seg("LH1301", "IST-FRA", 24 * 9, 3, "AAA111"),
        ]
    )
    assert routes(history) == ["FRA-IST", "IST-FRA"]
    assert history.journeys[1].return_of == 0
    assert history.journeys[0].return_of is None


def test_turning_back_the_same_day_ends_the_journey() -> None:
    history = chain([seg("LH1300", "FRA-IST", 0, 3), seg("LH1301", "IST-FRA", 5, 3)])
    assert routes(history) == ["FRA-IST", "IST-FRA"]
    assert history.journeys[1].return_of == 0


def test_a_circle_of_connections_is_a_round_trip_and_ends_at_home() -> None:
    history = chain(
        [
            seg("TK1590", "FRA-IST", 0, 3),
            seg("TK760", "IST-DXB", 5, 4),
            seg("EK45", "DXB-FRA", 12, 7),
            seg("LH1001", "FRA-BRU", 21, 1),
        ]
    )
    assert routes(history) == ["FRA-IST-DXB-FRA", "FRA-BRU"]
    assert history.journeys[0].round_trip
    assert history.journeys[1].return_of is None


def test_overlapping_legs_cannot_connect() -> None:
    # Two alternatives booked for the same morning: neither connects with the other.
    history = chain([seg("TK1591", "IST-FRA", 0, 3, "A"), seg("LH1001", "FRA-BRU", 2, 1, "B")])
    assert len(history.journeys) == 2


# --- the same flight seen several times --------------------------------------------------------------------


def test_the_same_flight_in_several_pushes_and_bookings_is_one_leg() -> None:
    first = seg("TK1591", "IST-FRA", 0, 3, "AAA111", occurrence="push1/1")
    again = dataclasses.replace(first, occurrence="push2/1", seen=T0 - timedelta(hours=24))
    other = dataclasses.replace(first, booking="BBB222", occurrence="push2/7")
    (leg,) = chain([first, again, other]).legs()
    assert leg.bookings == ("AAA111", "BBB222")
    assert leg.occurrences == ("push1/1", "push2/1", "push2/7")


def test_a_codeshare_is_the_operating_flight() -> None:
    operated = seg("TK1591", "IST-FRA", 0, 3, "AAA111")
    marketed = seg("LH6001", "IST-FRA", 0, 3, "BBB222", operating_carrier="TK", operating_number="1591")
    (leg,) = chain([operated, marketed]).legs()
    assert leg.designators() == {"TK1591", "LH6001"}
    assert leg.bookings == ("AAA111", "BBB222")


def test_a_retimed_flight_keeps_its_latest_times() -> None:
    early = seg("TK1591", "IST-FRA", 0, 3, "AAA111", seen=T0 - timedelta(hours=48))
    later = seg("TK1591", "IST-FRA", 1.5, 3, "AAA111", seen=T0 - timedelta(hours=24))
    (leg,) = chain([later, early]).legs()
    assert leg.departure == T0 + timedelta(hours=1.5)


def test_a_cancelled_booking_no_longer_counts_but_is_kept_apart() -> None:
    listed = seg("TK1591", "IST-FRA", 0, 3, "AAA111", seen=T0 - timedelta(hours=48))
    cancelled = dataclasses.replace(listed, seen=T0 - timedelta(hours=24), cancelled=True)
    onward = seg("LH1001", "FRA-BRU", 5, 1, "BBB222")
    history = chain([listed, cancelled, onward])
    assert routes(history) == ["FRA-BRU"]
    assert [leg.designator for leg in history.cancelled] == ["TK1591"]
    # Rebooked later: the latest version decides.
    rebooked = dataclasses.replace(listed, seen=T0 - timedelta(hours=10))
    assert routes(chain([listed, cancelled, rebooked, onward])) == ["IST-FRA-BRU"]


def test_a_missing_arrival_is_estimated_from_the_distance() -> None:
    (leg,) = chain([seg("TK1591", "IST-FRA", 0, 3, arrival=None)]).legs()
    assert leg.arrival_estimated
    assert timedelta(hours=2, minutes=30) <= leg.duration <= timedelta(hours=3, minutes=30)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seg("TK1591", "IST-FRA", 0, 3, departure=datetime(2026, 12, 1, 6, 0))
    with pytest.raises(ValueError, match="connection"):
        JourneySettings(connection=timedelta(hours=80))


def test_the_history_finds_the_pushed_flight_by_instant_or_designator() -> None:
    history = chain(
        [
            seg("TK1591", "IST-FRA", 0, 3),
            seg("LH6001", "FRA-BRU", 5, 1, operating_carrier="SN", operating_number="2588"),
        ]
    )
    onward = Flight(
        carrier="SN",
        number="02588",
        origin="FRA",
        destination="BRU",
        departure=ScheduledTime.at(
            "FRA", datetime(2026, 12, 1, 12, 30)
        ),  # retimed: only the designator agrees
    )
    assert history.locate(onward) == (0, 1)
    inbound = Flight(
        "TK", "1591", "IST", "FRA", departure=ScheduledTime.at("IST", datetime(2026, 12, 1, 9, 0))
    )
    assert history.locate(inbound) == (0, 0)
    elsewhere = dataclasses.replace(inbound, departure=ScheduledTime.at("IST", datetime(2026, 12, 2, 9, 0)))
    assert history.locate(elsewhere) is None


def test_segments_of_a_booking() -> None:
    def flight(designator: str, origin: str, destination: str, local: str, *, time: bool = True) -> Flight:
        return Flight(
            designator[:2],
            designator[2:],
            origin,
            destination,
            departure=ScheduledTime.at(origin, datetime.fromisoformat(local), time_known=time),
        )

    booking = Booking(
        locator="ABC123",
        segments=(
            Segment(flight("TK1591", "IST", "FRA", "2026-12-01T09:00"), status="HK"),
            Segment(flight("LH1001", "FRA", "BRU", "2026-12-01T13:00"), status="XX"),
            Segment(flight("LH1002", "BRU", "FRA", "2026-12-09T00:00", time=False), status="HK"),
            Segment(None, non_air_kind="HTL"),
            Segment(flight("YY0000", "ZZZ", "FRA", "2026-12-01T09:00"), open=True),
        ),
    )
    found = segments_of(booking, occurrence="f/1", seen=T0)
    assert [(s.carrier + s.number, s.cancelled, s.approximate) for s in found] == [
        ("TK1591", False, False),
        ("LH1001", True, False),
        ("LH1002", False, True),
    ]
    assert found[0].departure == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert {s.booking for s in found} == {"ABC123"}


# --- properties -------------------------------------------------------------------------------------------

_AIRPORTS = ("FRA", "MUC", "CGN", "BRU", "IST", "LHR", "JFK", "DXB", "VIE", "ZRH")


@st.composite
def itineraries(draw: st.DrawFn) -> list[TravelSegment]:
    # Distinct departure hours and flight numbers: every segment is a flight of its own.
    hours = draw(st.lists(st.integers(0, 24 * 20), min_size=1, max_size=9, unique=True))
    segments = []
    for i, departs in enumerate(hours):
        origin, destination = draw(st.sampled_from([(a, b) for a in _AIRPORTS for b in _AIRPORTS if a != b]))
        segments.append(
            seg(
                f"X{i % 3}{100 + i}",
                f"{origin}-{destination}",
                departs,
                draw(st.sampled_from([1, 2, 3, 9])),
                draw(st.sampled_from(["A", "B", "C"])),
                occurrence=f"o{i}",
                seen=T0 - timedelta(hours=draw(st.integers(0, 72))),
            )
        )
    return segments


@settings(max_examples=150, deadline=None)
@given(itineraries(), st.randoms(use_true_random=False))
def test_order_does_not_matter(segments: list[TravelSegment], rng: object) -> None:
    shuffled = list(segments)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert chain(shuffled) == chain(segments)


@settings(max_examples=150, deadline=None)
@given(itineraries(), st.data())
def test_repeats_change_nothing_but_the_occurrences(
    segments: list[TravelSegment], data: st.DataObject
) -> None:
    repeated = [dataclasses.replace(s, occurrence=(s.occurrence or "") + "+again") for s in segments]
    chosen = data.draw(st.lists(st.sampled_from(repeated), max_size=len(segments)))
    plain, twice = chain(segments), chain([*segments, *chosen, *segments])
    strip = [dataclasses.replace(leg, occurrences=()) for leg in plain.legs()]
    assert [dataclasses.replace(leg, occurrences=()) for leg in twice.legs()] == strip
    assert routes(twice) == routes(plain)


@settings(max_examples=150, deadline=None)
@given(itineraries())
def test_every_booked_flight_is_one_leg_of_one_journey_in_time_order(segments: list[TravelSegment]) -> None:
    history = chain(segments)
    legs = history.legs()
    flights = {(s.origin, s.departure) for s in segments}
    assert (
        len(legs) + len(history.cancelled)
        == len({(leg.origin, leg.departure) for leg in legs})
        == len(flights)
    )
    assert list(legs) == sorted(legs, key=lambda leg: (leg.departure, leg.arrival))
    for index, journey in enumerate(history.journeys):
        for before, stop, after in zip(journey.legs[:-1], journey.stops, journey.legs[1:], strict=True):
            assert stop.ground_time == after.departure - before.arrival >= timedelta(0)
            assert stop.ground_time <= JourneySettings().stopover
            assert (stop.transfer is Transfer.SAME_AIRPORT) == (before.destination == after.origin)
            assert stop.separate_bookings == (not set(before.bookings) & set(after.bookings))
            if stop.broken is not None:
                assert stop.separate_bookings
                assert stop.kind is StopKind.CONNECTION
                assert {before.crossing, after.crossing} in (
                    {Crossing.ENTRY, Crossing.INSIDE},
                    {Crossing.INSIDE, Crossing.EXIT},
                )
        if journey.return_of is not None:
            assert journey.return_of == index - 1
