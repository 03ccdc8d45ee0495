"""The flight network: real airports and airlines, and a day's schedule that a PIU would really see."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.synth.network import (
    AIRLINES,
    ALLIANCES,
    DESTINATIONS,
    HOME_AIRPORTS,
    NIGHT_END,
    NIGHT_START,
    SCHENGEN,
    Region,
    airport,
    alliance_of,
    day_schedule,
    destinations,
    distance_km,
    flight_duration,
    home_airport_weights,
    home_airports,
)
from openpiu.synth.types import Direction, ScheduledFlight

DAY = date(2026, 11, 30)  # a Monday
WIDE_BODIES = {
    "333",
    "332",
    "339",
    "359",
    "351",
    "77W",
    "772",
    "763",
    "788",
    "789",
    "781",
    "744",
    "748",
    "388",
}


@cache
def full_day(country: str = "DE") -> tuple[ScheduledFlight, ...]:
    return tuple(day_schedule(7, DAY, country=country, scale=1.0))


def utc(local: datetime, code: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(airport(code).zone)).astimezone(UTC)


def operated(flights: tuple[ScheduledFlight, ...] | list[ScheduledFlight]) -> list[ScheduledFlight]:
    return [f for f in flights if f.operating_carrier is None]


def in_night(moment: datetime) -> bool:
    return moment.time() >= NIGHT_START or moment.time() < NIGHT_END


def check_well_formed(flights: list[ScheduledFlight], day: date, country: str) -> None:
    """The invariants every schedule keeps, whatever the seed, day, country and scale."""
    home = {a.iata for a in home_airports(country)}
    assert len(flights) >= 2
    assert {f.direction for f in flights} == {Direction.INBOUND, Direction.OUTBOUND}
    keys = [(f.carrier, f.number, f.departure_local.date()) for f in flights]
    assert len(keys) == len(set(keys)), "flight numbers repeat for a carrier on a day"
    for f in flights:
        assert (f.origin in home) != (f.destination in home), f"{f.designator} must touch home at one end"
        assert (f.direction is Direction.OUTBOUND) == (f.origin in home)
        assert f.departure_local.date() == day
        departs, arrives = utc(f.departure_local, f.origin), utc(f.arrival_local, f.destination)
        assert arrives > departs
        assert arrives - departs == f.duration == flight_duration(airport(f.origin), airport(f.destination))
        at_home = f.departure_local if f.origin in home else f.arrival_local
        assert not in_night(at_home), f"{f.designator} uses {at_home:%H:%M} at a curfewed home airport"
        assert f.schengen == (airport(f.origin).schengen and airport(f.destination).schengen)
        assert f.seats > 0
        assert f.equipment
        assert f.carrier in AIRLINES
        assert f.number.isdigit()
        assert 1 <= int(f.number) <= 9999
        if f.operating_carrier is not None:
            assert f.operating_number is not None
            assert alliance_of(f.carrier) is not None
            assert alliance_of(f.carrier) == alliance_of(f.operating_carrier)
            assert f.carrier != f.operating_carrier


# --- reference tables -----------------------------------------------------------------------------


def test_schengen_has_the_29_states_of_2026() -> None:
    assert len(SCHENGEN) == 29
    assert {"DE", "FR", "AT", "CH", "NO", "IS", "LI", "BG", "RO", "HR"} <= SCHENGEN
    assert not {"GB", "IE", "CY", "TR", "RS", "AL", "UA", "GI", "FO"} & SCHENGEN


@pytest.mark.parametrize(
    ("code", "country", "zone", "schengen"),
    [
        ("FRA", "DE", "Europe/Berlin", True),
        ("SOF", "BG", "Europe/Sofia", True),
        ("TFS", "ES", "Atlantic/Canary", True),
        ("LHR", "GB", "Europe/London", False),
        ("DUB", "IE", "Europe/Dublin", False),
        ("LCA", "CY", "Asia/Nicosia", False),
        ("IST", "TR", "Europe/Istanbul", False),
        ("JFK", "US", "America/New_York", False),
    ],
)
def test_airports_come_from_airportsdata(code: str, country: str, zone: str, schengen: bool) -> None:
    a = airport(code)
    assert (a.iata, a.country, a.zone, a.schengen) == (code, country, zone, schengen)
    assert a.name
    assert a.city
    assert -90 <= a.latitude <= 90
    assert -180 <= a.longitude <= 180


def test_an_unknown_airport_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown IATA"):
        airport("QQQ")


def test_germany_has_its_main_international_airports_largest_first() -> None:
    codes = [a.iata for a in home_airports("DE")]
    for code in ("FRA", "MUC", "BER", "DUS", "HAM", "STR", "CGN", "HAJ", "NUE", "LEJ", "BRE", "DTM", "FMM"):
        assert code in codes
    assert codes[:2] == ["FRA", "MUC"]
    weights = [w for _, w in home_airport_weights("DE")]
    assert weights == sorted(weights, reverse=True)
    assert all(a.country == "DE" for a in home_airports("DE"))


@pytest.mark.parametrize("country", sorted(HOME_AIRPORTS))
def test_every_home_table_resolves_to_the_countrys_airports(country: str) -> None:
    airports = home_airports(country)
    assert len(airports) >= 5
    assert {a.country for a in airports} == {country}


def test_other_countries_fall_back_to_their_major_or_international_airports() -> None:
    assert {a.iata for a in home_airports("PT")} >= {"LIS", "OPO", "FAO"}
    assert "GVA" in {a.iata for a in home_airports("CH")}
    assert home_airports("ch") == home_airports("CH")
    canada = home_airports("CA")  # listed in DESTINATIONS: Toronto, Montreal...
    assert canada
    assert all(a.country == "CA" for a in canada)
    assert home_airports("XX") == []
    with pytest.raises(ValueError, match="no airports"):
        day_schedule(1, DAY, country="XX")


def test_airlines_are_real_designators_grouped_in_alliances() -> None:
    required = {
        "LH", "EW", "DE", "X3", "4U", "TK", "PC", "AF", "KL", "BA", "U2", "FR", "W6", "OS", "LX", "SK",
        "AY", "IB", "VY", "AZ", "TP", "LO", "A3", "RO", "EK", "QR", "EY", "SV", "MS", "RJ", "ET", "UA",
        "DL", "AA", "AC", "CA", "NH", "SQ", "AI",
    }  # fmt: skip
    assert required <= set(AIRLINES)
    for code, airline in AIRLINES.items():
        assert airline.designator == code
        assert len(code) == 2
        assert code.isalnum()
        assert code.isupper() or any(c.isdigit() for c in code)
        assert len(airline.country) == 2
    members = [code for group in ALLIANCES.values() for code in group]
    assert len(members) == len(set(members)), "an airline is in one alliance at most"
    assert set(members) <= set(AIRLINES)
    assert alliance_of("LH") == alliance_of("UA") == "Star Alliance"
    assert alliance_of("AF") == alliance_of("DL") == alliance_of("SK") == "SkyTeam"  # SAS since 2024
    assert alliance_of("BA") == alliance_of("QR") == "oneworld"
    assert alliance_of("FR") is None


def test_destination_tables_match_their_regions() -> None:
    for region, entries in DESTINATIONS.items():
        codes = [code for code, _ in entries]
        assert len(codes) == len(set(codes)), f"{region} lists an airport twice"
        for code, weight in entries:
            assert weight > 0
            assert airport(code).schengen == (region is Region.SCHENGEN), code
    all_codes = [code for entries in DESTINATIONS.values() for code, _ in entries]
    assert len(all_codes) == len(set(all_codes))
    assert not {a.country for a, _, _ in destinations("DE")} & {"DE"}


def test_block_times_follow_great_circle_distance() -> None:
    fra, jfk = airport("FRA"), airport("JFK")
    assert 6150 < distance_km(fra, jfk) < 6250
    assert flight_duration(fra, jfk) == timedelta(hours=8, minutes=15)  # 6,200 km / 800 km/h + 30 min
    assert flight_duration(fra, jfk) == flight_duration(jfk, fra)


# --- a day's schedule -----------------------------------------------------------------------------


def test_the_schedule_is_deterministic() -> None:
    assert day_schedule(3, DAY, scale=0.02) == day_schedule(3, DAY, scale=0.02)
    assert day_schedule(3, DAY, scale=0.02) != day_schedule(4, DAY, scale=0.02)
    assert day_schedule(3, DAY, scale=0.02) != day_schedule(3, DAY + timedelta(days=1), scale=0.02)


def test_a_smaller_scale_is_a_part_of_the_same_day() -> None:
    assert set(day_schedule(5, DAY, scale=0.002)) <= set(day_schedule(5, DAY, scale=0.02))


def test_a_large_country_day_carries_about_400000_travellers_in_both_directions() -> None:
    flights = full_day()
    travellers = sum(f.seats for f in flights) * 0.8
    assert 350_000 <= travellers <= 450_000
    assert 2_300 <= len(operated(flights)) <= 3_200
    by_direction = Counter[Direction]()
    for f in flights:
        by_direction[f.direction] += f.seats
    assert abs(by_direction[Direction.INBOUND] - by_direction[Direction.OUTBOUND]) < 0.02 * sum(
        by_direction.values()
    )


def test_a_large_country_day_is_well_formed() -> None:
    check_well_formed(list(full_day()), DAY, "DE")


def test_the_mix_of_destinations_is_plausible_for_germany() -> None:
    flights = operated(full_day())
    schengen = sum(f.schengen for f in flights) / len(flights)
    assert 0.58 <= schengen <= 0.72
    far = [f for f in flights if distance_km(airport(f.origin), airport(f.destination)) > 4000]
    assert 0.05 <= len(far) / len(flights) <= 0.2
    foreign = Counter(
        airport(f.destination if f.direction is Direction.OUTBOUND else f.origin).country for f in flights
    )
    for country in ("ES", "IT", "TR", "GB", "US", "AE"):
        assert foreign[country] > 0
    assert foreign["ES"] > foreign["US"]  # Mallorca beats New York


def test_hubs_carry_long_haul_and_small_airports_do_not() -> None:
    far = [
        f
        for f in operated(full_day())
        if distance_km(airport(f.origin), airport(f.destination)) > 6000 and f.direction is Direction.OUTBOUND
    ]
    origins = Counter(f.origin for f in far)
    assert origins.most_common(1)[0][0] == "FRA"
    assert not {"PAD", "FKB", "FDH", "BRE"} & set(origins)


def test_aircraft_fit_the_distance() -> None:
    # The aircraft's capacity: the operated flight's seats plus the blocks its codeshares sell.
    capacity = Counter[tuple[str, str]]()
    for f in full_day():
        capacity[(f.operating_carrier or f.carrier, f.operating_number or f.number)] += f.seats
    for f in operated(full_day()):
        km = distance_km(airport(f.origin), airport(f.destination))
        seats = capacity[(f.carrier, f.number)]
        if km > 4000:
            assert f.equipment in WIDE_BODIES, f
            assert 200 <= seats <= 520, f
        elif f.equipment not in WIDE_BODIES:
            assert 80 <= seats <= 240, f


def test_departures_come_in_banks_and_not_at_night() -> None:
    home = {a.iata for a in home_airports("DE")}
    hours = Counter(f.departure_local.hour for f in full_day() if f.origin in home)
    assert set(hours) <= set(range(5, 23))
    assert hours[7] > hours[22]
    assert sum(hours[h] for h in range(6, 10)) > sum(hours[h] for h in range(19, 23))


def test_carriers_are_real_and_the_home_carrier_leads() -> None:
    carriers = Counter(f.carrier for f in operated(full_day()))
    assert carriers.most_common(1)[0][0] == "LH"
    assert {"EW", "DE", "FR", "TK", "EK"} <= set(carriers)
    assert carriers["4U"] == 0  # Germanwings no longer flies under its own code


def test_rotations_pair_each_flight_with_its_return() -> None:
    flights = operated(full_day())
    by_key = {(f.carrier, int(f.number)): f for f in flights}
    for f in flights:
        number = int(f.number)
        partner = by_key.get((f.carrier, number ^ 1))  # even and odd numbers of a pair
        assert partner is not None, f.designator
        assert (partner.origin, partner.destination) == (f.destination, f.origin)
        assert partner.equipment == f.equipment


def test_codeshares_are_sold_by_alliance_partners_on_real_flights() -> None:
    flights = full_day()
    shares = [f for f in flights if f.operating_carrier is not None]
    assert 0.01 * len(flights) <= len(shares) <= 0.15 * len(flights)
    by_designator = {(f.carrier, f.number): f for f in flights}
    for share in shares:
        assert share.operating_number is not None
        flown = by_designator[(share.operating_carrier, share.operating_number)]
        assert flown.operating_carrier is None
        for field in ("origin", "destination", "departure_local", "arrival_local", "equipment", "direction"):
            assert getattr(share, field) == getattr(flown, field)


def test_a_tiny_scale_still_flies_both_ways() -> None:
    flights = day_schedule(1, DAY, scale=0.001)
    assert 2 <= len(flights) <= 12
    check_well_formed(flights, DAY, "DE")


@pytest.mark.parametrize("country", ["AT", "BE", "NL", "FR", "IT", "ES", "PL", "PT", "GB"])
def test_other_piu_countries_get_their_own_day(country: str) -> None:
    flights = day_schedule(2, DAY, country=country, scale=0.05)
    check_well_formed(flights, DAY, country)
    if country in SCHENGEN:
        assert any(f.schengen for f in flights)


def test_the_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        day_schedule(1, DAY, scale=0)


# Daylight-saving days are the hard ones for local times: 2026-03-29 and 2026-10-25 in Europe.
@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)])
def test_daylight_saving_days_keep_the_invariants(day: date) -> None:
    check_well_formed(day_schedule(11, day, scale=0.1), day, "DE")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    scale=st.floats(min_value=0.0001, max_value=0.01),
    country=st.sampled_from(["DE", "AT", "FR", "ES", "PL", "CH", "GR"]),
)
def test_any_seed_and_small_scale_gives_well_formed_flights(
    seed: int, day: date, scale: float, country: str
) -> None:
    check_well_formed(day_schedule(seed, day, country=country, scale=scale), day, country)


def test_consecutive_days_list_each_flight_once() -> None:
    first = day_schedule(9, DAY, scale=0.01)
    second = day_schedule(9, DAY + timedelta(days=1), scale=0.01)
    assert all(f.departure_local.date() == DAY for f in first)
    assert all(f.departure_local.date() == DAY + timedelta(days=1) for f in second)
    assert not set(first) & set(second)
