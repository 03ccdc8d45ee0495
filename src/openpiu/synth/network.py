"""The flight network of the synthetic world: airports, airlines, and each day's schedule.

A PIU sees every flight that lands in or leaves its country. This module decides which flights those
are for one day: which home airport, which foreign airport, which real airline with which aircraft, at
what local times, under which flight number, and which alliance partner sells seats on it as a
codeshare. Everything is a pure function of the seed, the day, the PIU's country and the scale.

How a day is built. Flights come in *rotations*: an aircraft goes out and comes back (or comes in and
goes back), so every route has an outbound and an inbound flight and the two directions balance. A
rotation is drawn region first (the mix of `REGION_MIX`), then a home airport (weighted by size, with
separate weights for long-haul), then a foreign airport (`DESTINATIONS`), then an airline among those
based at either end (`AIRLINES`, bases and fleets below), then times in the banks airlines really fly:
short-haul out in the morning and back at noon, or in in the morning and out again after a turn;
long-haul out at midday and back next morning. Home airports keep a night curfew: nothing departs or
lands there between 23:00 and 05:30 local. Rotations are added until the seats reach the day's
target (about 500,000 seats at scale 1.0, i.e. about 400,000 travellers in and out at the world's
load factor of 0.8), so a smaller scale gives a prefix of the same rotations.

Every flight departs on the requested day, local at its origin (an inbound long-haul flight may land
the next day): calling `day_schedule` for consecutive days therefore lists each flight exactly once,
and a flight number is unique per carrier and departure day, as airlines number them.

Codeshares are listed as their own `ScheduledFlight` (marketing carrier and number, with
`operating_carrier` and `operating_number` naming the flight that really flies). Its `seats` is the
block the marketing carrier sells, and the operating flight's `seats` is reduced by the same block,
so the sum of `seats` over a schedule counts each physical seat once.

The tables are facts (IATA codes, airline designators, alliance membership, Schengen membership) and
rounded estimates where only a plausible mix matters (airport sizes, route weights); each says which.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from itertools import accumulate, chain
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

import airportsdata

from openpiu.model.airports import airport as _airport_info
from openpiu.model.schengen import SCHENGEN_STATES
from openpiu.synth.types import Airline, Airport, Direction, ScheduledFlight

__all__ = [
    "AIRLINES",
    "ALLIANCES",
    "DESTINATIONS",
    "HOME_AIRPORTS",
    "NIGHT_END",
    "NIGHT_START",
    "REGION_MIX",
    "SCHENGEN",
    "SEATS_PER_DAY",
    "Region",
    "airport",
    "alliance_of",
    "day_schedule",
    "destinations",
    "distance_km",
    "flight_duration",
    "home_airport_weights",
    "home_airports",
]

# --- Schengen ------------------------------------------------------------------------------------

# The Schengen states as of 2026 are the model's (`openpiu.model.schengen`, with the Council decisions and
# each state's date): the generated world and the journeys read from it must agree on the border.
SCHENGEN: frozenset[str] = SCHENGEN_STATES

#: Home airports are closed for departures and landings from NIGHT_START to NIGHT_END local time
#: (German airports' night-flight restrictions, e.g. Frankfurt 23:00-05:00, Munich and Berlin
#: similar; one rule for every home airport keeps the schedule simple and checkable).
NIGHT_START = time(23, 0)
NIGHT_END = time(5, 30)

#: Seats offered per day at scale 1.0, in and out together: 400,000 travellers at a 0.8 load factor.
SEATS_PER_DAY = 500_000

# --- airports -------------------------------------------------------------------------------------


@cache
def airport(code: str) -> Airport:
    """The airport with this IATA code, from airportsdata; ValueError when the code is unknown."""
    info = _airport_info(code)
    if info is None:
        raise ValueError(f"unknown IATA airport code {code!r}")
    return Airport(
        iata=info.iata,
        name=info.name,
        city=info.city,
        country=info.country,
        zone=info.zone,
        latitude=info.latitude,
        longitude=info.longitude,
        schengen=info.country in SCHENGEN,
    )


# The main international airports per country: (IATA, weight, long-haul weight). Weights are rounded
# shares of each airport's international passengers, estimated from the airports' and national
# associations' published annual figures (ADV for Germany, Eurostat avia_paoa elsewhere, 2023-2024);
# only their proportions matter. The long-haul weight says where intercontinental flights leave from
# (in Germany mostly the Lufthansa hubs Frankfurt and Munich).
HOME_AIRPORTS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "DE": (
        ("FRA", 28.0, 62.0), ("MUC", 19.0, 25.0), ("BER", 11.0, 2.5), ("DUS", 10.0, 4.0),
        ("HAM", 6.0, 1.5), ("STR", 4.5, 0.5), ("CGN", 4.5, 0.5), ("HAJ", 2.4, 0.0),
        ("NUE", 1.7, 0.0), ("DTM", 1.3, 0.0), ("LEJ", 1.1, 0.0), ("FMM", 1.1, 0.0),
        ("BRE", 1.0, 0.0), ("FKB", 0.6, 0.0), ("NRN", 0.6, 0.0), ("DRS", 0.6, 0.0),
        ("HHN", 0.5, 0.0), ("PAD", 0.3, 0.0), ("FDH", 0.3, 0.0),
    ),
    "AT": (
        ("VIE", 80.0, 100.0), ("SZG", 7.0, 0.0), ("INN", 5.0, 0.0), ("GRZ", 4.0, 0.0),
        ("LNZ", 2.0, 0.0), ("KLU", 1.0, 0.0),
    ),
    "BE": (("BRU", 70.0, 100.0), ("CRL", 26.0, 0.0), ("LGG", 1.5, 0.0), ("OST", 1.5, 0.0), ("ANR", 1.0, 0.0)),
    "NL": (("AMS", 86.0, 100.0), ("EIN", 9.0, 0.0), ("RTM", 3.5, 0.0), ("GRQ", 0.8, 0.0), ("MST", 0.7, 0.0)),
    "FR": (
        ("CDG", 40.0, 90.0), ("ORY", 17.0, 8.0), ("NCE", 9.0, 1.0), ("LYS", 6.0, 0.5),
        ("MRS", 6.0, 0.5), ("BSL", 5.0, 0.0), ("TLS", 4.0, 0.0), ("BOD", 3.5, 0.0),
        ("NTE", 3.5, 0.0), ("BVA", 3.0, 0.0), ("LIL", 1.5, 0.0), ("MPL", 1.0, 0.0),
        ("SXB", 0.8, 0.0), ("BIQ", 0.7, 0.0),
    ),
    "IT": (
        ("FCO", 24.0, 60.0), ("MXP", 17.0, 30.0), ("BGY", 10.0, 0.0), ("VCE", 7.0, 5.0),
        ("NAP", 7.0, 2.0), ("BLQ", 5.5, 0.0), ("CTA", 5.0, 0.0), ("PMO", 3.5, 0.0),
        ("PSA", 3.0, 0.0), ("BRI", 3.0, 0.0), ("LIN", 3.0, 0.0), ("TRN", 2.0, 0.0),
        ("VRN", 2.0, 0.0), ("FLR", 1.5, 0.0), ("CAG", 1.5, 0.0), ("OLB", 1.0, 0.0),
        ("TSF", 1.0, 0.0),
    ),
    "ES": (
        ("MAD", 22.0, 65.0), ("BCN", 20.0, 30.0), ("PMI", 10.0, 0.0), ("AGP", 9.0, 1.0),
        ("ALC", 7.0, 0.0), ("TFS", 4.5, 0.0), ("LPA", 4.5, 0.0), ("IBZ", 3.5, 0.0),
        ("VLC", 3.5, 0.0), ("ACE", 3.0, 0.0), ("FUE", 2.5, 0.0), ("SVQ", 2.0, 0.0),
        ("BIO", 1.5, 0.0), ("GRO", 0.6, 0.0), ("REU", 0.5, 0.0),
    ),
    "PL": (
        ("WAW", 40.0, 90.0), ("KRK", 18.0, 8.0), ("GDN", 11.0, 0.0), ("KTW", 10.0, 2.0),
        ("WRO", 8.0, 0.0), ("POZ", 5.0, 0.0), ("WMI", 3.0, 0.0), ("RZE", 2.0, 0.0),
        ("SZZ", 1.3, 0.0), ("LUZ", 1.0, 0.0), ("BZG", 0.7, 0.0),
    ),
}  # fmt: skip


class Region(StrEnum):
    """Where a foreign airport is, as the traffic mix sees it."""

    SCHENGEN = "schengen"  # the Schengen area
    EUROPE = "europe"  # the rest of Europe: UK, Ireland, Cyprus, Turkey, the Balkans, the Caucasus
    MIDDLE_EAST = "middle_east"
    NORTH_AFRICA = "north_africa"
    AFRICA = "africa"  # south of the Sahara
    AMERICAS = "americas"
    ASIA = "asia"


# Major foreign airports by region: (IATA, weight within the region). Weights are rounded estimates
# of each airport's traffic with Central Europe (leisure airports such as Palma and Antalya weigh
# heavily); airports of the PIU's own country are left out at run time. Left out on purpose:
# Russia and Belarus (EU airspace closed to and by them since 2022), Ukraine (airspace closed since
# February 2022), Iran (Iran Air's EU operations ended with the sanctions of October 2024), Libya and
# Iraqi Airways' Baghdad (carriers on the EU Air Safety List).
DESTINATIONS: dict[Region, tuple[tuple[str, float], ...]] = {
    Region.SCHENGEN: (
        # Spain (Canary Islands included: they are Schengen)
        ("PMI", 9.0), ("BCN", 5.0), ("MAD", 5.0), ("AGP", 3.0), ("ALC", 2.0), ("TFS", 2.0),
        ("LPA", 2.0), ("IBZ", 1.5), ("ACE", 1.2), ("FUE", 1.2), ("VLC", 1.0), ("SVQ", 0.6),
        ("BIO", 0.5),
        # Italy
        ("FCO", 4.0), ("MXP", 2.0), ("LIN", 1.5), ("VCE", 2.0), ("NAP", 2.0), ("CTA", 1.5),
        ("BLQ", 1.0), ("PMO", 1.0), ("BRI", 1.0), ("BGY", 1.2), ("OLB", 0.8), ("CAG", 0.7),
        ("PSA", 0.6), ("FLR", 0.6), ("TRN", 0.5),
        # France
        ("CDG", 5.0), ("ORY", 1.0), ("NCE", 2.0), ("LYS", 1.0), ("MRS", 1.0), ("TLS", 0.8),
        ("BOD", 0.6), ("NTE", 0.4), ("BSL", 0.3),
        # Benelux
        ("AMS", 5.0), ("EIN", 0.4), ("RTM", 0.3), ("BRU", 2.5), ("CRL", 0.8), ("LUX", 1.0),
        # Germany (for the other PIU countries)
        ("FRA", 5.0), ("MUC", 4.0), ("BER", 2.0), ("DUS", 2.0), ("HAM", 1.0), ("STR", 0.8),
        ("CGN", 0.8),
        # Alps
        ("VIE", 4.0), ("SZG", 0.8), ("INN", 0.6), ("GRZ", 0.4), ("ZRH", 4.0), ("GVA", 2.0),
        # Portugal
        ("LIS", 3.0), ("OPO", 1.5), ("FAO", 1.5), ("FNC", 1.0),
        # Greece
        ("ATH", 4.0), ("HER", 2.5), ("RHO", 2.0), ("SKG", 1.5), ("CFU", 1.2), ("KGS", 1.0),
        ("CHQ", 0.8), ("JTR", 0.5), ("JMK", 0.5), ("ZTH", 0.4),
        # Central Europe
        ("WAW", 2.0), ("KRK", 1.5), ("GDN", 1.0), ("KTW", 1.0), ("WRO", 0.7), ("POZ", 0.5),
        ("PRG", 2.0), ("BUD", 2.5), ("BTS", 0.4), ("LJU", 0.3),
        # Croatia (Schengen since 2023), Bulgaria and Romania (fully since 2025)
        ("ZAG", 0.8), ("SPU", 1.2), ("DBV", 0.8), ("PUY", 0.4), ("ZAD", 0.3),
        ("SOF", 1.2), ("VAR", 0.8), ("BOJ", 0.6),
        ("OTP", 1.5), ("CLJ", 0.8), ("IAS", 0.5), ("TSR", 0.4), ("SBZ", 0.3),
        # Nordic and Baltic
        ("CPH", 3.0), ("BLL", 0.3), ("ARN", 2.5), ("GOT", 0.8), ("OSL", 2.0), ("BGO", 0.5),
        ("HEL", 1.5), ("KEF", 0.6), ("TLL", 0.6), ("RIX", 0.8), ("VNO", 0.6),
        # Malta
        ("MLA", 1.2),
    ),
    Region.EUROPE: (
        # United Kingdom and Ireland
        ("LHR", 8.0), ("LGW", 2.0), ("STN", 1.5), ("MAN", 2.0), ("BHX", 0.8), ("EDI", 1.2),
        ("LTN", 1.0), ("LCY", 0.8), ("BRS", 0.4), ("GLA", 0.3), ("NCL", 0.3),
        ("DUB", 3.0), ("ORK", 0.2), ("SNN", 0.1),
        # Cyprus (EU, not Schengen)
        ("LCA", 1.2), ("PFO", 0.5),
        # Turkey
        ("IST", 6.0), ("SAW", 3.0), ("AYT", 9.0), ("ADB", 1.5), ("ESB", 1.0), ("DLM", 0.6),
        ("BJV", 0.6), ("GZT", 0.3), ("TZX", 0.2), ("ASR", 0.3),
        # Western Balkans
        ("BEG", 1.5), ("PRN", 1.5), ("SJJ", 0.8), ("TZL", 0.4), ("SKP", 1.0), ("OHD", 0.1),
        ("TIA", 1.2), ("TGD", 0.4), ("TIV", 0.4),
        # Moldova and the Caucasus
        ("RMO", 0.4), ("TBS", 0.4), ("KUT", 0.3), ("EVN", 0.3), ("GYD", 0.2),
    ),
    Region.MIDDLE_EAST: (
        ("DXB", 8.0), ("AUH", 3.5), ("SHJ", 0.5), ("DOH", 5.0), ("JED", 1.5), ("RUH", 1.2),
        ("DMM", 0.3), ("MED", 0.2), ("BAH", 0.6), ("KWI", 0.8), ("MCT", 1.0), ("TLV", 3.0),
        ("AMM", 1.5), ("BEY", 1.5), ("EBL", 1.0),
    ),
    Region.NORTH_AFRICA: (
        ("HRG", 6.0), ("SSH", 2.0), ("CAI", 2.5), ("RMF", 1.0), ("LXR", 0.3),
        ("RAK", 2.0), ("CMN", 1.5), ("AGA", 1.0), ("TNG", 0.5), ("FEZ", 0.4), ("NDR", 0.3),
        ("DJE", 1.2), ("NBE", 1.0), ("TUN", 1.5), ("MIR", 0.5), ("ALG", 1.0), ("ORN", 0.4),
    ),
    Region.AFRICA: (
        ("ADD", 2.0), ("NBO", 1.5), ("JNB", 2.0), ("CPT", 1.5), ("LOS", 1.2), ("ABV", 0.8),
        ("ACC", 1.0), ("DSS", 0.5), ("ZNZ", 0.6), ("JRO", 0.3), ("MRU", 0.8), ("SEZ", 0.4),
        ("SID", 0.5), ("BVC", 0.3), ("WDH", 0.7), ("LAD", 0.3), ("KGL", 0.3), ("EBB", 0.2),
    ),
    Region.AMERICAS: (
        ("JFK", 5.0), ("EWR", 3.0), ("ORD", 3.0), ("IAD", 2.5), ("BOS", 2.0), ("ATL", 2.0),
        ("LAX", 2.0), ("SFO", 2.0), ("MIA", 1.5), ("IAH", 1.2), ("DFW", 1.2), ("DEN", 1.0),
        ("SEA", 1.0), ("PHL", 1.0), ("DTW", 0.8), ("CLT", 1.0), ("MSP", 0.5), ("LAS", 0.5),
        ("MCO", 1.0), ("SAN", 0.3), ("AUS", 0.3), ("RDU", 0.3),
        ("YYZ", 2.0), ("YUL", 1.2), ("YVR", 1.0), ("YYC", 0.6), ("YHZ", 0.2),
        ("MEX", 1.0), ("CUN", 1.5), ("PUJ", 1.0), ("POP", 0.2), ("HAV", 0.4), ("VRA", 0.4),
        ("MBJ", 0.3), ("BGI", 0.2),
        ("GRU", 1.5), ("GIG", 0.6), ("EZE", 0.8), ("BOG", 0.8), ("LIM", 0.3), ("PTY", 0.3),
        ("SJO", 0.4),
    ),
    Region.ASIA: (
        ("PEK", 1.5), ("PVG", 2.0), ("CAN", 0.5), ("HKG", 1.5), ("TPE", 0.8),
        ("HND", 2.0), ("NRT", 0.8), ("KIX", 0.5), ("ICN", 1.5),
        ("SIN", 2.0), ("BKK", 2.5), ("HKT", 0.5), ("SGN", 0.5), ("HAN", 0.4), ("KUL", 0.6),
        ("CGK", 0.3), ("DPS", 0.2), ("MNL", 0.4),
        ("DEL", 2.0), ("BOM", 1.5), ("BLR", 1.0), ("MAA", 0.6), ("HYD", 0.6), ("CMB", 0.5),
        ("MLE", 0.8), ("ALA", 0.3), ("TAS", 0.3),
    ),
}  # fmt: skip

# Share of rotations (so of flights) per region, by PIU country ("default" for the others).
# Germany's: about 65% intra-Schengen, 15% other Europe with the UK and Turkey, 20% Middle East,
# Africa and long-haul, a rounded estimate of the German market. The others shift the mix the way
# their markets lean (France to North Africa, Spain to the UK and Latin America, Poland to the UK);
# they are estimates too.
REGION_MIX: dict[str, dict[Region, float]] = {
    "default": {
        Region.SCHENGEN: 0.65, Region.EUROPE: 0.15, Region.MIDDLE_EAST: 0.06,
        Region.NORTH_AFRICA: 0.05, Region.AFRICA: 0.015, Region.AMERICAS: 0.05, Region.ASIA: 0.025,
    },
    "FR": {
        Region.SCHENGEN: 0.55, Region.EUROPE: 0.14, Region.MIDDLE_EAST: 0.06,
        Region.NORTH_AFRICA: 0.11, Region.AFRICA: 0.04, Region.AMERICAS: 0.07, Region.ASIA: 0.03,
    },
    "ES": {
        Region.SCHENGEN: 0.55, Region.EUROPE: 0.22, Region.MIDDLE_EAST: 0.03,
        Region.NORTH_AFRICA: 0.05, Region.AFRICA: 0.01, Region.AMERICAS: 0.11, Region.ASIA: 0.03,
    },
    "IT": {
        Region.SCHENGEN: 0.60, Region.EUROPE: 0.16, Region.MIDDLE_EAST: 0.07,
        Region.NORTH_AFRICA: 0.06, Region.AFRICA: 0.02, Region.AMERICAS: 0.06, Region.ASIA: 0.03,
    },
    "PL": {
        Region.SCHENGEN: 0.62, Region.EUROPE: 0.24, Region.MIDDLE_EAST: 0.05,
        Region.NORTH_AFRICA: 0.04, Region.AFRICA: 0.005, Region.AMERICAS: 0.025, Region.ASIA: 0.02,
    },
}  # fmt: skip

# Which home-airport weight a region's flights use: short-haul flights leave from every airport,
# long-haul ones from the hubs, Middle East flights (Gulf carriers serve secondary airports) from both.
_LONG_HAUL_REGIONS = frozenset({Region.AFRICA, Region.AMERICAS, Region.ASIA})
_MIXED_REGIONS = frozenset({Region.MIDDLE_EAST})

# --- airlines -------------------------------------------------------------------------------------

# Real IATA airline designators, names and home countries (IATA's airline codes list; each airline's
# own site). 4U is Germanwings, whose own flights ended in 2020: kept for older data, never scheduled.
_AIRLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("LH", "Lufthansa", "DE"), ("EW", "Eurowings", "DE"), ("DE", "Condor", "DE"),
    ("X3", "TUIfly", "DE"), ("4Y", "Eurowings Discover", "DE"), ("4U", "Germanwings", "DE"),
    ("EN", "Air Dolomiti", "IT"), ("OS", "Austrian Airlines", "AT"), ("LX", "Swiss", "CH"),
    ("WK", "Edelweiss Air", "CH"), ("SN", "Brussels Airlines", "BE"), ("TB", "TUI fly Belgium", "BE"),
    ("KL", "KLM Royal Dutch Airlines", "NL"), ("HV", "Transavia", "NL"),
    ("OR", "TUI fly Netherlands", "NL"), ("AF", "Air France", "FR"), ("TO", "Transavia France", "FR"),
    ("SS", "Corsair", "FR"), ("BA", "British Airways", "GB"), ("U2", "easyJet", "GB"),
    ("VS", "Virgin Atlantic", "GB"), ("LS", "Jet2.com", "GB"), ("EI", "Aer Lingus", "IE"),
    ("FR", "Ryanair", "IE"), ("IB", "Iberia", "ES"), ("VY", "Vueling", "ES"),
    ("UX", "Air Europa", "ES"), ("V7", "Volotea", "ES"), ("AZ", "ITA Airways", "IT"),
    ("TP", "TAP Air Portugal", "PT"), ("A3", "Aegean Airlines", "GR"), ("LO", "LOT Polish Airlines", "PL"),
    ("W6", "Wizz Air", "HU"), ("RO", "TAROM", "RO"), ("OU", "Croatia Airlines", "HR"),
    ("FB", "Bulgaria Air", "BG"), ("BT", "airBaltic", "LV"), ("SK", "SAS Scandinavian Airlines", "SE"),
    ("DY", "Norwegian Air Shuttle", "NO"), ("AY", "Finnair", "FI"), ("KM", "KM Malta Airlines", "MT"),
    ("JU", "Air Serbia", "RS"), ("LG", "Luxair", "LU"), ("CY", "Cyprus Airways", "CY"),
    ("TK", "Turkish Airlines", "TR"), ("PC", "Pegasus Airlines", "TR"), ("XQ", "SunExpress", "TR"),
    ("EK", "Emirates", "AE"), ("EY", "Etihad Airways", "AE"), ("QR", "Qatar Airways", "QA"),
    ("SV", "Saudia", "SA"), ("GF", "Gulf Air", "BH"), ("LY", "El Al", "IL"),
    ("RJ", "Royal Jordanian", "JO"), ("ME", "Middle East Airlines", "LB"), ("MS", "EgyptAir", "EG"),
    ("AT", "Royal Air Maroc", "MA"), ("TU", "Tunisair", "TN"), ("AH", "Air Algérie", "DZ"),
    ("ET", "Ethiopian Airlines", "ET"), ("KQ", "Kenya Airways", "KE"), ("SA", "South African Airways", "ZA"),
    ("UA", "United Airlines", "US"), ("DL", "Delta Air Lines", "US"), ("AA", "American Airlines", "US"),
    ("AC", "Air Canada", "CA"), ("AM", "Aeroméxico", "MX"), ("LA", "LATAM Airlines", "CL"),
    ("CA", "Air China", "CN"), ("MU", "China Eastern Airlines", "CN"), ("CX", "Cathay Pacific", "HK"),
    ("NH", "All Nippon Airways", "JP"), ("JL", "Japan Airlines", "JP"), ("KE", "Korean Air", "KR"),
    ("SQ", "Singapore Airlines", "SG"), ("TG", "Thai Airways", "TH"), ("AI", "Air India", "IN"),
)  # fmt: skip

#: The airlines of the world, by designator.
AIRLINES: dict[str, Airline] = {code: Airline(code, name, country) for code, name, country in _AIRLINE_ROWS}

# Alliance members among AIRLINES (the alliances' member lists, 2025). SAS moved from Star Alliance to
# SkyTeam on 1 September 2024; ITA Airways left SkyTeam on 30 April 2025 and is not yet in Star
# Alliance, so it codeshares with nobody here. Codeshare partners are drawn within an alliance.
ALLIANCES: dict[str, frozenset[str]] = {
    "Star Alliance": frozenset(
        {"LH", "OS", "LX", "SN", "LO", "TP", "A3", "OU", "TK", "MS", "ET", "SA", "UA", "AC", "CA",
         "NH", "SQ", "TG", "AI"}
    ),
    "SkyTeam": frozenset(
        {"AF", "KL", "DL", "UX", "RO", "SK", "SV", "ME", "KQ", "AM", "MU", "KE", "VS"}
    ),
    "oneworld": frozenset({"BA", "IB", "AY", "QR", "RJ", "AT", "AA", "CX", "JL"}),
}  # fmt: skip


def alliance_of(designator: str) -> str | None:
    """The alliance the airline belongs to, or None."""
    for name, members in ALLIANCES.items():
        if designator in members:
            return name
    return None


# Aircraft: (IATA equipment code, seats, range in km, weight). Seat counts are typical cabin
# configurations of the operators named (their fleet pages); ranges are rounded practical ranges.
_Fleet = tuple[tuple[str, int, int, float], ...]
_FLEETS: dict[str, _Fleet] = {
    "a32x": (("319", 138, 3500, 1.5), ("320", 174, 4000, 4.0), ("32N", 180, 4500, 3.0),
             ("321", 200, 4000, 1.5), ("21N", 215, 4500, 0.5)),
    "a32x_regional": (("319", 138, 3500, 1.5), ("320", 168, 4000, 3.0), ("32N", 180, 4500, 2.0),
                      ("321", 200, 4000, 1.5), ("21N", 215, 4500, 0.5), ("CR9", 90, 1500, 1.0),
                      ("E90", 100, 1800, 1.5), ("E95", 120, 2000, 1.0)),
    "a220": (("223", 145, 3500, 3.0), ("221", 127, 3000, 1.0)),
    "swiss": (("223", 145, 3500, 2.0), ("320", 180, 4000, 2.0), ("32N", 180, 4500, 1.0),
              ("321", 219, 4000, 1.0)),
    "air_france": (("223", 148, 3500, 2.0), ("320", 178, 4000, 2.0), ("321", 212, 4000, 1.0)),
    "klm": (("738", 186, 4000, 3.0), ("739", 178, 4000, 1.0), ("295", 132, 3000, 1.0),
            ("E90", 100, 1800, 1.0)),
    "e_jet": (("E95", 120, 2500, 1.0),),
    "lot": (("738", 186, 4000, 2.0), ("7M8", 186, 4500, 2.0), ("E95", 112, 2500, 2.0)),
    "b737": (("738", 186, 4000, 4.0), ("7M8", 189, 4500, 2.0)),
    "ryanair": (("738", 189, 4000, 3.0), ("7M8", 197, 4500, 2.0)),
    "wizz": (("320", 180, 4000, 1.0), ("321", 230, 4000, 1.0), ("21N", 239, 4500, 3.0)),
    "easyjet": (("319", 156, 3500, 1.0), ("320", 186, 4000, 3.0), ("32N", 186, 4500, 2.0),
                ("21N", 235, 4500, 1.0)),
    "pegasus": (("32N", 186, 4500, 2.0), ("21N", 239, 4500, 2.0), ("738", 189, 4000, 1.0)),
    # wide-bodies
    "widebody": (("333", 277, 11000, 2.0), ("359", 300, 15000, 2.0), ("789", 290, 14000, 2.0),
                 ("77W", 350, 14000, 2.0), ("788", 242, 13000, 1.0)),
    "lufthansa": (("359", 293, 15000, 3.0), ("748", 364, 14000, 1.0), ("744", 371, 13000, 1.0),
                  ("388", 509, 14000, 0.5), ("333", 255, 11000, 1.0), ("789", 294, 14000, 1.0)),
    "condor": (("339", 310, 12000, 1.0),),
    "discover": (("332", 310, 12000, 2.0), ("333", 300, 11000, 1.0)),
    "emirates": (("77W", 354, 14000, 2.0), ("388", 489, 15000, 2.0)),
    "qatar": (("359", 283, 15000, 2.0), ("77W", 354, 14000, 2.0), ("351", 327, 16000, 1.0),
              ("788", 254, 13000, 1.0)),
    "etihad": (("789", 290, 14000, 2.0), ("781", 307, 12000, 1.0)),
    "united": (("789", 257, 14000, 2.0), ("772", 276, 14000, 1.0), ("77W", 350, 14000, 1.0),
               ("763", 211, 10000, 1.0)),
    "delta": (("333", 282, 11000, 1.0), ("339", 281, 12000, 1.0), ("359", 275, 15000, 2.0),
              ("763", 211, 10000, 1.0)),
    "american": (("772", 273, 13000, 1.0), ("77W", 304, 14000, 1.0), ("789", 285, 14000, 2.0),
                 ("788", 234, 13000, 1.0)),
    "air_france_long": (("77W", 381, 14000, 2.0), ("359", 324, 15000, 2.0), ("789", 279, 14000, 1.0)),
    "klm_long": (("77W", 408, 14000, 1.0), ("789", 294, 14000, 2.0), ("781", 344, 11000, 1.0),
                 ("333", 292, 11000, 1.0)),
    "british": (("77W", 297, 14000, 1.0), ("789", 216, 14000, 1.0), ("351", 331, 16000, 1.0),
                ("388", 469, 14000, 0.5), ("772", 275, 13000, 1.0)),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Profile:
    """How an airline flies: its market weight, bases, and short- and long-haul fleets."""

    weight: float  # rough relative size of its flying to and from Europe; 0 = never scheduled
    bases: tuple[str, ...]  # hubs and crew bases (airports its rotations start from)
    short: str | None = None  # key of _FLEETS for narrow-body flying, None if it has none
    long: str | None = None  # key of _FLEETS for wide-body flying, None if it has none
    long_weight: float | None = None  # its weight on wide-body routes, when unlike `weight`
    markets: frozenset[str] | None = None  # the only countries it flies to (None: anywhere)


# The holiday countries tour operators' airlines (TUIfly, Jet2) fly to.
_LEISURE = frozenset({"ES", "PT", "GR", "IT", "HR", "BG", "CY", "MT", "TR", "EG", "MA", "TN", "CV"})

# Hubs and bases from the airlines' own route and base lists (rounded to the ones that matter for
# Europe); weights are estimates of each airline's share of seats in European markets.
_PROFILES: dict[str, _Profile] = {
    "LH": _Profile(10.0, ("FRA", "MUC"), "a32x_regional", "lufthansa"),
    "EW": _Profile(5.0, ("DUS", "CGN", "HAM", "STR", "BER", "PMI"), "a32x"),
    "DE": _Profile(3.0, ("FRA", "DUS", "MUC", "HAM", "BER", "STR", "LEJ"), "a32x", "condor", 1.2),
    "X3": _Profile(2.0, ("HAJ", "DUS", "FRA", "STR", "CGN", "NUE", "MUC"), "b737", markets=_LEISURE),
    "4Y": _Profile(1.0, ("FRA", "MUC"), "a32x", "discover", 0.8),
    "4U": _Profile(0.0, ()),
    "EN": _Profile(1.0, ("MUC", "FRA", "VRN"), "e_jet", markets=frozenset({"IT"})),
    "OS": _Profile(3.0, ("VIE",), "a32x_regional", "widebody"),
    "LX": _Profile(3.0, ("ZRH", "GVA"), "swiss", "widebody"),
    "WK": _Profile(0.6, ("ZRH",), "a32x", "widebody"),
    "SN": _Profile(2.0, ("BRU",), "a32x", "widebody"),
    "TB": _Profile(0.8, ("BRU", "OST", "LGG", "ANR"), "b737", markets=_LEISURE),
    "KL": _Profile(4.0, ("AMS",), "klm", "klm_long"),
    "HV": _Profile(2.0, ("AMS", "EIN", "RTM"), "b737"),
    "OR": _Profile(0.5, ("AMS", "EIN", "RTM"), "b737", markets=_LEISURE),
    "AF": _Profile(4.0, ("CDG", "ORY"), "air_france", "air_france_long"),
    "TO": _Profile(1.2, ("ORY", "LYS", "NTE", "MPL"), "b737"),
    "SS": _Profile(0.3, ("ORY",), None, "widebody"),
    "BA": _Profile(4.0, ("LHR", "LGW", "LCY"), "a32x", "british"),
    "U2": _Profile(
        3.0,
        ("LGW", "LTN", "BRS", "MAN", "EDI", "GLA", "GVA", "BSL", "BER", "ORY", "NCE", "MXP", "NAP",
         "LIS", "FAO", "VCE", "AMS"),
        "easyjet",
    ),
    "VS": _Profile(1.0, ("LHR", "MAN"), None, "widebody"),
    "LS": _Profile(1.5, ("MAN", "BHX", "STN", "EDI", "GLA", "NCL", "BRS"), "b737", markets=_LEISURE),
    "EI": _Profile(1.5, ("DUB", "ORK", "SNN"), "a32x", "widebody"),
    "FR": _Profile(
        4.0,
        ("DUB", "STN", "BGY", "CRL", "BER", "CGN", "FMM", "FKB", "NRN", "HHN", "PMI", "AGP", "ALC",
         "BCN", "MAD", "LIS", "OPO", "FAO", "FCO", "NAP", "CTA", "PMO", "BRI", "PSA", "TSF", "BLQ",
         "MLA", "KRK", "WMI", "GDN", "KTW", "WRO", "POZ", "BUD", "VIE", "ATH", "SKG", "ZAG", "SOF",
         "TFS", "LPA", "ACE", "IBZ", "VLC", "SVQ", "BTS", "VNO", "RIX", "BVA", "MRS", "TLS", "BOD",
         "EIN", "MAN", "BHX", "EDI"),
        "ryanair",
    ),
    "IB": _Profile(2.0, ("MAD",), "a32x", "widebody"),
    "VY": _Profile(3.0, ("BCN", "ORY", "FCO", "PMI", "AGP", "BIO", "SVQ", "VLC"), "a32x"),
    "UX": _Profile(1.0, ("MAD", "PMI"), "b737", "widebody"),
    "V7": _Profile(1.0, ("VCE", "NTE", "BOD", "MRS", "PMI", "BIO", "OLB", "CAG"), "a32x"),
    "AZ": _Profile(2.0, ("FCO", "LIN"), "a32x", "widebody"),
    "TP": _Profile(2.0, ("LIS", "OPO"), "a32x", "widebody"),
    "A3": _Profile(2.0, ("ATH", "SKG", "HER", "LCA"), "a32x"),
    "LO": _Profile(2.5, ("WAW",), "lot", "widebody"),
    "W6": _Profile(
        3.0,
        ("BUD", "OTP", "CLJ", "IAS", "TSR", "SOF", "VAR", "WAW", "KTW", "GDN", "WRO", "KRK", "BEG",
         "SKP", "TIA", "PRN", "SJJ", "TZL", "KUT", "VNO", "RIX", "LTN", "DTM", "FMM", "LCA", "FCO",
         "RMO", "EVN", "TBS", "VIE"),
        "wizz",
    ),
    "RO": _Profile(0.7, ("OTP",), "b737"),
    "OU": _Profile(0.7, ("ZAG", "SPU"), "a220"),
    "FB": _Profile(0.5, ("SOF",), "a32x"),
    "BT": _Profile(1.0, ("RIX", "TLL", "VNO"), "a220"),
    "SK": _Profile(2.5, ("CPH", "ARN", "OSL"), "a32x", "widebody"),
    "DY": _Profile(1.5, ("OSL", "ARN", "CPH", "HEL", "BGO"), "b737"),
    "AY": _Profile(2.0, ("HEL",), "a32x", "widebody"),
    "KM": _Profile(0.6, ("MLA",), "a32x"),
    "JU": _Profile(1.0, ("BEG",), "a32x", "widebody"),
    "LG": _Profile(0.8, ("LUX",), "b737"),
    "CY": _Profile(0.4, ("LCA",), "a32x"),
    "TK": _Profile(5.0, ("IST", "AYT", "ADB", "ESB"), "a32x", "widebody"),
    "PC": _Profile(2.5, ("SAW", "AYT", "ADB", "ESB"), "pegasus"),
    "XQ": _Profile(2.5, ("AYT", "ADB", "ESB", "GZT", "DLM", "BJV", "HRG"), "b737"),
    "EK": _Profile(4.0, ("DXB",), None, "emirates"),
    "EY": _Profile(2.0, ("AUH",), None, "etihad"),
    "QR": _Profile(3.0, ("DOH",), None, "qatar"),
    "SV": _Profile(1.0, ("JED", "RUH"), "a32x", "widebody"),
    "GF": _Profile(0.5, ("BAH",), "a32x", "widebody"),
    "LY": _Profile(1.0, ("TLV",), "b737", "widebody"),
    "RJ": _Profile(0.8, ("AMM",), "a32x", "widebody"),
    "ME": _Profile(0.8, ("BEY",), "a32x", "widebody"),
    "MS": _Profile(1.5, ("CAI",), "b737", "widebody"),
    "AT": _Profile(1.0, ("CMN",), "b737", "widebody"),
    "TU": _Profile(0.8, ("TUN", "MIR", "DJE"), "a32x"),
    "AH": _Profile(0.6, ("ALG", "ORN"), "b737"),
    "ET": _Profile(0.8, ("ADD",), "b737", "widebody"),
    "KQ": _Profile(0.4, ("NBO",), "b737", "widebody"),
    "SA": _Profile(0.4, ("JNB",), "a32x", "widebody"),
    "UA": _Profile(3.0, ("EWR", "ORD", "IAD", "SFO", "IAH", "DEN"), None, "united"),
    "DL": _Profile(2.5, ("ATL", "JFK", "DTW", "MSP", "BOS", "SEA", "LAX"), None, "delta"),
    "AA": _Profile(2.0, ("DFW", "CLT", "PHL", "MIA", "JFK", "ORD"), None, "american"),
    "AC": _Profile(1.5, ("YYZ", "YUL", "YVR"), None, "widebody"),
    "AM": _Profile(0.4, ("MEX",), None, "widebody"),
    "LA": _Profile(0.3, ("GRU", "LIM"), None, "widebody"),
    "CA": _Profile(1.0, ("PEK",), None, "widebody"),
    "MU": _Profile(0.8, ("PVG",), None, "widebody"),
    "CX": _Profile(1.0, ("HKG",), None, "widebody"),
    "NH": _Profile(1.2, ("HND", "NRT"), None, "widebody"),
    "JL": _Profile(0.8, ("HND", "NRT"), None, "widebody"),
    "KE": _Profile(0.8, ("ICN",), None, "widebody"),
    "SQ": _Profile(1.0, ("SIN",), None, "widebody"),
    "TG": _Profile(0.8, ("BKK",), None, "widebody"),
    "AI": _Profile(1.0, ("DEL", "BOM"), None, "widebody"),
}  # fmt: skip

# Beyond this great-circle distance a flight needs a wide-body (the A321neo/737 MAX practical limit).
_NARROW_BODY_KM = 4000.0
# A wide-body-only carrier (Emirates, Qatar) still flies shorter sectors from its hub, but not shuttles.
_WIDEBODY_ONLY_MIN_KM = 2000.0
# Cruise speed and fixed time for taxi, climb and descent: block time = distance / 800 km/h + 30 min.
_CRUISE_KMH = 800.0
_FIXED_MINUTES = 30
# Above this block time a rotation cannot go out and back within one day at a curfewed airport.
_DAY_ROTATION_MAX = timedelta(hours=5)
# Share of operated flights that an alliance partner also sells under its own number.
_CODESHARE_SHORT = 0.06
_CODESHARE_LONG = 0.35
# More people fly on Fridays and Sundays, fewer midweek (Monday=0).
_WEEKDAY_FACTOR = (1.02, 0.95, 0.95, 1.0, 1.06, 0.96, 1.06)

# --- geometry -------------------------------------------------------------------------------------


def distance_km(a: Airport, b: Airport) -> float:
    """Great-circle distance between two airports (haversine, mean Earth radius 6,371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def flight_duration(a: Airport, b: Airport) -> timedelta:
    """Scheduled block time: great-circle distance at 800 km/h plus 30 minutes, to 5 minutes."""
    minutes = distance_km(a, b) / _CRUISE_KMH * 60 + _FIXED_MINUTES
    return timedelta(minutes=5 * round(minutes / 5))


# --- home and foreign airports --------------------------------------------------------------------


@cache
def _airportsdata() -> dict[str, airportsdata.Airport]:
    return airportsdata.load("IATA")


@cache
def _home_weights(country: str) -> tuple[tuple[Airport, float, float], ...]:
    country = country.upper()
    table = HOME_AIRPORTS.get(country)
    if table is not None:
        return tuple((airport(code), weight, long) for code, weight, long in table)
    # No table: the country's airports among DESTINATIONS (the major ones), with their weights...
    listed = [
        (airport(code), weight)
        for entries in DESTINATIONS.values()
        for code, weight in entries
        if airport(code).country == country
    ]
    if listed:
        return tuple((a, w, w) for a, w in listed)
    # ...else every airport of the country with an IATA code and "International" in its name, equally.
    named = sorted(
        code
        for code, row in _airportsdata().items()
        if row["country"] == country and code and row["tz"] and "International" in row["name"]
    )
    return tuple((airport(code), 1.0, 1.0) for code in named)


def home_airport_weights(country: str = "DE") -> list[tuple[Airport, float]]:
    """The country's international airports with their relative sizes, largest first."""
    rows = sorted(_home_weights(country), key=lambda row: (-row[1], row[0].iata))
    return [(a, weight) for a, weight, _ in rows]


def home_airports(country: str = "DE") -> list[Airport]:
    """The country's international airports, largest first; empty for a country with none known.

    For the countries of HOME_AIRPORTS the list is that table; for another country it is its airports
    among DESTINATIONS, or else all its airportsdata airports with an IATA code and "International"
    in the name (equally weighted).
    """
    return [a for a, _ in home_airport_weights(country)]


def destinations(country: str = "DE") -> list[tuple[Airport, Region, float]]:
    """The foreign airports a PIU country's flights go to: DESTINATIONS without its own airports."""
    country = country.upper()
    return [
        (airport(code), region, weight)
        for region, entries in DESTINATIONS.items()
        for code, weight in entries
        if airport(code).country != country
    ]


# --- choosing -------------------------------------------------------------------------------------


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Pick(Generic[_T]):
    """A weighted choice prepared once: `rng.choices` with cumulative weights is fast and stable."""

    items: tuple[_T, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[_T, float]]) -> _Pick[_T]:
        kept = [(item, weight) for item, weight in pairs if weight > 0]
        return cls(tuple(i for i, _ in kept), tuple(accumulate(w for _, w in kept)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def draw(self, rng: random.Random) -> _T:
        return rng.choices(self.items, cum_weights=self.cumulative, k=1)[0]


@dataclass(frozen=True, slots=True)
class _Country:
    """Everything about a PIU country that the daily draw needs, prepared once."""

    regions: _Pick[Region]
    home_short: _Pick[Airport]  # for short-haul regions
    home_long: _Pick[Airport]  # for long-haul regions
    home_mixed: _Pick[Airport]  # for the Middle East
    foreign: dict[Region, _Pick[Airport]]


@cache
def _country(country: str) -> _Country:
    rows = _home_weights(country)
    if not rows:
        raise ValueError(f"no airports known for country {country!r}")
    short_total = sum(w for _, w, _ in rows)
    long_total = sum(lw for _, _, lw in rows)
    short = _Pick.of([(a, w) for a, w, _ in rows])
    long = _Pick.of([(a, lw) for a, _, lw in rows]) or short
    mixed = _Pick.of(
        [(a, w / short_total + (lw / long_total if long_total else w / short_total)) for a, w, lw in rows]
    )
    by_region: dict[Region, list[tuple[Airport, float]]] = {}
    for a, region, weight in destinations(country):
        by_region.setdefault(region, []).append((a, weight))
    foreign = {region: _Pick.of(pairs) for region, pairs in by_region.items()}
    mix = REGION_MIX.get(country, REGION_MIX["default"])
    regions = _Pick.of([(region, share) for region, share in mix.items() if foreign.get(region)])
    return _Country(regions, short, long, mixed, foreign)


@cache
def _carriers(home_code: str, foreign_code: str) -> _Pick[str]:
    """The airlines that plausibly fly this route, weighted by size.

    First the airlines based at either end; failing those, the airlines of either country; failing
    those, any airline with a fitting fleet (so every route in the tables gets flown by someone).
    """
    home, foreign = airport(home_code), airport(foreign_code)
    km = distance_km(home, foreign)

    def capable(profile: _Profile) -> bool:
        if profile.weight <= 0:
            return False
        if km > _NARROW_BODY_KM:
            return profile.long is not None
        return profile.short is not None or (profile.long is not None and km >= _WIDEBODY_ONLY_MIN_KM)

    def weight(profile: _Profile) -> float:
        if km > _NARROW_BODY_KM and profile.long_weight is not None:
            return profile.long_weight
        return profile.weight

    countries = {home.country, foreign.country}
    fit = {
        code: p
        for code, p in _PROFILES.items()
        if capable(p) and (p.markets is None or not p.markets.isdisjoint(countries))
    }
    # An airline based at the foreign end carries its own country's travellers too: it counts more.
    based = [
        (c, weight(p) * (1.5 if foreign_code in p.bases else 1.0))
        for c, p in fit.items()
        if home_code in p.bases or foreign_code in p.bases
    ]
    if based:
        return _Pick.of(based)
    national = [(c, weight(p)) for c, p in fit.items() if AIRLINES[c].country in countries]
    return _Pick.of(national or [(c, weight(p)) for c, p in fit.items()])


def _aircraft(rng: random.Random, profile: _Profile, km: float) -> tuple[str, int]:
    """An aircraft of the airline's fleet that reaches this far: (equipment code, seats)."""
    key = profile.long if (km > _NARROW_BODY_KM or profile.short is None) else profile.short
    assert key is not None  # _carriers only offers airlines with a fitting fleet
    fleet = _FLEETS[key]
    usable = [entry for entry in fleet if entry[2] >= km] or [max(fleet, key=lambda entry: entry[2])]
    code, seats, _, _ = rng.choices(usable, weights=[entry[3] for entry in usable], k=1)[0]
    return code, seats


@cache
def _partners(operator: str, countries: frozenset[str]) -> _Pick[str]:
    """Alliance partners that would sell seats on the operator's flight; those of either country first."""
    alliance = alliance_of(operator)
    if alliance is None:
        return _Pick.of([])
    return _Pick.of(
        [
            (code, _PROFILES[code].weight * (5.0 if AIRLINES[code].country in countries else 1.0))
            for code in sorted(ALLIANCES[alliance])
            if code != operator
        ]
    )


class _Numbers:
    """Flight numbers handed out for one day, unique per carrier (1 to 9999)."""

    def __init__(self) -> None:
        self._used: dict[str, set[int]] = {}
        self._next: dict[tuple[str, int], int] = {}

    def take(self, carrier: str, start: int, count: int) -> int | None:
        """The first of `count` consecutive free numbers at or after `start` (even when a pair)."""
        used = self._used.setdefault(carrier, set())
        first = self._next.get((carrier, start), start)
        step = 2 if count == 2 else 1
        first += first % step
        for number in chain(range(first, 10_000 - count + 1, step), range(step, first, step)):
            if all(number + i not in used for i in range(count)):
                used.update(number + i for i in range(count))
                self._next[(carrier, start)] = number + count
                return number
        return None


# Airlines that turn an aircraft round in 25-35 minutes rather than 40-60 (low-cost and leisure).
_QUICK_TURN = frozenset({"FR", "W6", "U2", "VY", "HV", "TO", "PC", "DY", "LS", "V7", "XQ", "X3", "EW"})

# Time banks as (earliest, latest, weight) in minutes after local midnight at the home airport.
_HOME_SHORT_OUT = ((360, 510, 0.45), (570, 780, 0.30), (840, 1170, 0.25))  # out and back the same day
_FOREIGN_SHORT_LAND = ((420, 630, 0.40), (660, 900, 0.30), (930, 1260, 0.30))  # in, turn, out again
_FOREIGN_LONG_LAND = ((345, 630, 0.60), (720, 960, 0.30), (1020, 1200, 0.10))  # overnight in, day out
_HOME_LONG_OUT = {Region.AMERICAS: (600, 1020), Region.ASIA: (660, 1320)}  # others: 09:30-22:00
_OPEN = NIGHT_END.hour * 60 + NIGHT_END.minute  # 05:30, the first minute a home airport is open
_LAST = NIGHT_START.hour * 60 + NIGHT_START.minute - 5  # 22:55, the last slot before the curfew


def _clock(rng: random.Random, earliest: int, latest: int) -> int:
    """A minute of the day between two bounds, on the 5-minute grid schedules use."""
    return 5 * rng.randint(-(-earliest // 5), latest // 5)


def _bank(rng: random.Random, banks: tuple[tuple[int, int, float], ...]) -> int:
    earliest, latest, _ = rng.choices(banks, weights=[b[2] for b in banks], k=1)[0]
    return _clock(rng, earliest, latest)


def _utc(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60))


def _minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _departure_for_landing(
    origin: Airport, home: Airport, day: date, landing: int, duration: timedelta
) -> datetime:
    """The departure, local at `origin` and on `day`, of a flight landing at home at `landing` local.

    The landing may fall on the day or the next (an overnight long-haul flight); if a daylight-saving
    change makes no landing at that clock time depart on the day, an hour's shift does.
    """
    for shift in (0, 60, -60):
        minutes = min(max(landing + shift, _OPEN), _LAST)
        for offset in (0, 1, -1, 2):
            lands = _at(day + timedelta(days=offset), minutes)
            departs = _local(_utc(lands, home.zone) - duration, origin.zone)
            if departs.date() == day:
                return departs
    raise AssertionError("unreachable: some landing day always fits")  # pragma: no cover


def _times(
    rng: random.Random,
    home: Airport,
    *,
    region: Region,
    day: date,
    duration: timedelta,
    based_home: bool,
    quick: bool,
) -> tuple[int, int]:
    """(outbound departure, inbound landing), both in minutes after local midnight at home."""
    turn = 5 * rng.randint(5, 7) if quick else 5 * rng.randint(8, 12)
    if duration <= _DAY_ROTATION_MAX:
        if based_home and rng.random() < 0.25:
            # Night-stop: the aircraft slept abroad, comes home in the morning, goes out in the evening.
            return _clock(rng, 1050, 1290), _clock(rng, 390, 570)
        if based_home:
            # Out in a bank and back the same day, before the curfew.
            out = _bank(rng, _HOME_SHORT_OUT)
            back = _local(_utc(_at(day, out), home.zone) + 2 * duration + timedelta(minutes=turn), home.zone)
            late = (back - _at(day, _LAST - 10)) // timedelta(minutes=1)
            if late > 0:
                out = max(_OPEN + 30, out - 5 * -(-late // 5))
                back -= timedelta(minutes=late)
            return out, _minutes(back)
        # A foreign airline's aircraft comes in, turns round and goes home.
        land = _bank(rng, _FOREIGN_SHORT_LAND)
        out = min(land + turn, _LAST)
        return out, out - turn
    turn = 5 * rng.randint(18, 36)  # long-haul turns take 1.5-3 hours
    if based_home:
        # Out at midday; the return flight flies overnight and lands in the morning (after curfew).
        earliest, latest = _HOME_LONG_OUT.get(region, (570, 1320))
        out = _clock(rng, earliest, latest)
        back = _local(_utc(_at(day, out), home.zone) + 2 * duration + timedelta(minutes=turn), home.zone)
        land = _minutes(back)
        if not _OPEN <= land <= _LAST:
            land = _clock(rng, _OPEN + 15, _OPEN + 85)  # it waits at the outstation for the curfew
        return out, land
    # A foreign long-haul airline: in (mostly in the morning), turn round, out.
    land = _bank(rng, _FOREIGN_LONG_LAND)
    out = min(land + turn, _LAST)
    return out, min(land, out - 60)


def _flight(
    carrier: str,
    number: int,
    origin: Airport,
    destination: Airport,
    *,
    departure: datetime,
    duration: timedelta,
    equipment: str,
    seats: int,
    direction: Direction,
) -> ScheduledFlight:
    return ScheduledFlight(
        carrier=carrier,
        number=str(number),
        origin=origin.iata,
        destination=destination.iata,
        departure_local=departure,
        arrival_local=_local(_utc(departure, origin.zone) + duration, destination.zone),
        duration=duration,
        equipment=equipment,
        seats=seats,
        direction=direction,
        schengen=origin.schengen and destination.schengen,
    )


def _codeshare(
    rng: random.Random, numbers: _Numbers, flight: ScheduledFlight, partner: str
) -> tuple[ScheduledFlight, ScheduledFlight] | None:
    """The operated flight with fewer seats and the partner's codeshare selling the rest, or None."""
    number = numbers.take(partner, 6000, 1)
    if number is None:
        return None
    block = max(2, round(flight.seats * rng.uniform(0.05, 0.15)))
    operated = dataclasses.replace(flight, seats=flight.seats - block)
    marketed = dataclasses.replace(
        flight,
        carrier=partner,
        number=str(number),
        seats=block,
        operating_carrier=flight.carrier,
        operating_number=flight.number,
    )
    return operated, marketed


def _rotation(rng: random.Random, land: _Country, day: date, numbers: _Numbers) -> list[ScheduledFlight]:
    """One aircraft's out-and-back (or in-and-back) between a home and a foreign airport."""
    region = land.regions.draw(rng)
    homes = (
        land.home_long
        if region in _LONG_HAUL_REGIONS
        else land.home_mixed
        if region in _MIXED_REGIONS
        else land.home_short
    )
    home = homes.draw(rng)
    foreign = land.foreign[region].draw(rng)
    candidates = _carriers(home.iata, foreign.iata)
    carrier = candidates.draw(rng)
    km = distance_km(home, foreign)
    start = 400 if km > _NARROW_BODY_KM else 1000
    first = numbers.take(carrier, start, 2)
    for other in candidates.items:  # this airline's numbers ran out (very large scales): another flies it
        if first is not None:
            break
        carrier, first = other, numbers.take(other, start, 2)
    if first is None:
        raise ValueError("scale too large: the airlines' flight numbers ran out for one day")
    profile = _PROFILES[carrier]
    at_home, abroad = home.iata in profile.bases, foreign.iata in profile.bases
    if at_home and abroad:
        based_home = rng.random() < 0.5
    elif at_home or abroad:
        based_home = at_home
    else:
        based_home = AIRLINES[carrier].country == home.country
    duration = flight_duration(home, foreign)
    equipment, seats = _aircraft(rng, profile, km)
    out, land_at = _times(
        rng,
        home,
        region=region,
        day=day,
        duration=duration,
        based_home=based_home,
        quick=carrier in _QUICK_TURN,
    )
    # Airlines number a rotation as a pair, the leg leaving base even and the return odd.
    out_number, in_number = (first, first + 1) if based_home else (first + 1, first)
    inbound_departure = _departure_for_landing(foreign, home, day, land_at, duration)
    legs = ((out_number, home, foreign, _at(day, out)), (in_number, foreign, home, inbound_departure))
    flights = [
        _flight(
            carrier,
            number,
            origin,
            destination,
            departure=departure,
            duration=duration,
            equipment=equipment,
            seats=seats,
            direction=Direction.OUTBOUND if origin is home else Direction.INBOUND,
        )
        for number, origin, destination, departure in legs
    ]
    share = _CODESHARE_LONG if km > _NARROW_BODY_KM else _CODESHARE_SHORT
    partners = _partners(carrier, frozenset({home.country, foreign.country}))
    for index in range(2):
        if partners and rng.random() < share:
            made = _codeshare(rng, numbers, flights[index], partners.draw(rng))
            if made is not None:
                flights[index] = made[0]
                flights.append(made[1])
    return flights


def day_schedule(seed: int, day: date, *, country: str = "DE", scale: float = 1.0) -> list[ScheduledFlight]:
    """Every flight into and out of `country` departing on `day` (local at its origin).

    Deterministic for (seed, day, country, scale). Scale 1.0 is a large country's day: about
    500,000 seats (400,000 travellers at a 0.8 load factor) on about 2,600 operated flights (plus
    about 150 codeshare listings), half in and half out; any positive scale gives at least one
    rotation (two flights). A smaller scale gives a prefix of the same rotations. Sorted by
    departure instant, then designator.
    ValueError for a country without known airports or a scale that is not positive.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    country = country.upper()
    land = _country(country)
    rng = random.Random(f"openpiu.synth.network:{seed}:{day.isoformat()}:{country}")
    target = SEATS_PER_DAY * scale * _WEEKDAY_FACTOR[day.weekday()]
    numbers = _Numbers()
    flights: list[ScheduledFlight] = []
    seats = 0
    while not flights or seats < target:
        rotation = _rotation(rng, land, day, numbers)
        flights.extend(rotation)
        seats += sum(f.seats for f in rotation)
    flights.sort(key=lambda f: (_utc(f.departure_local, airport(f.origin).zone), f.carrier, f.number))
    return flights
