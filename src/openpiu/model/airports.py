"""Airport facts from the maintained `airportsdata` package (IATA code -> zone, country, position)."""

from __future__ import annotations

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
