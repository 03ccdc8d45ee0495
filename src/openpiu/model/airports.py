"""Airport facts from the maintained `airportsdata` package (IATA code -> zone, country, position)."""

from __future__ import annotations

import math
from functools import cache

import airportsdata

from openpiu.model.record import record


@record
class AirportInfo:
    iata: str
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    zone: str  # IANA time zone
    latitude: float
    longitude: float


@cache
def _table() -> dict[str, airportsdata.Airport]:
    return airportsdata.load("IATA")


def load_airports() -> int:
    """Load the airport table now (once per process, a fraction of a second) rather than at the first
    look-up; how many airports it knows."""
    return len(_table())


def airport(code: str | None) -> AirportInfo | None:
    """The airport with this IATA code, or None when the code is unknown."""
    if not code:
        return None
    row = _table().get(code.strip().upper())
    if row is None:
        return None
    return AirportInfo(
        iata=str(row["iata"]),
        name=str(row["name"]),
        city=str(row["city"]),
        country=str(row["country"]),
        zone=str(row["tz"]),
        latitude=float(row["lat"]),
        longitude=float(row["lon"]),
    )


def zone_of(code: str | None) -> str | None:
    info = airport(code)
    return info.zone if info and info.zone else None


def distance_km(a: str | None, b: str | None) -> float | None:
    """Great-circle distance between two airports by IATA code (haversine, mean Earth radius 6,371 km).

    None when either code is unknown.
    """
    first, second = airport(a), airport(b)
    if first is None or second is None:
        return None
    if first.iata == second.iata:
        return 0.0
    return _haversine(first.latitude, first.longitude, second.latitude, second.longitude)


@cache
def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
