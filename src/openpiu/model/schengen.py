"""Schengen membership: which countries' airports lie inside the area without internal border checks.

A flight between two member states crosses no border check; a flight from outside lands at the external
border, where passengers are checked and carriers send API data. Broken travel hides exactly that crossing.

The 29 states as of 2026 (the Commission's "Schengen Area" page): the 27 EU members except Cyprus and
Ireland, plus Iceland, Liechtenstein, Norway and Switzerland. Membership changed within the five years a
PIU keeps data, so it is dated: Croatia from 1 January 2023 (Council Decision (EU) 2022/2451), Bulgaria and
Romania at air and sea borders from 31 March 2024 (Council Decision of 30 December 2023; land borders followed
on 1 January 2025, which flights do not cross). Cyprus is preparing to join; add it with its date when the
Council decides.

Countries are ISO 3166-1 alpha-2. Territories with their own code (Réunion RE, Guadeloupe GP, the Faroes FO,
Greenland GL, Svalbard SJ, Gibraltar GI) are outside; the Canary Islands, Madeira and the Azores carry the
code of Spain or Portugal and are inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

from openpiu.model.airports import airport

__all__ = ["SCHENGEN_SINCE", "SCHENGEN_STATES", "airport_in_schengen", "in_schengen"]

# The Convention applied from this day. States that joined later, but before 2012, are dated from it too: the
# difference lies far before anything a PIU may keep (five years, Art 12 of Directive 2016/681).
_FOUNDED: Final = date(1995, 3, 26)

#: Each member state and the first day its airports were inside the area.
SCHENGEN_SINCE: Final[Mapping[str, date]] = {
    **dict.fromkeys(
        (
            "AT", "BE", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HU", "IS", "IT", "LI",
            "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "SE", "SI", "SK",
        ),
        _FOUNDED,
    ),
    "HR": date(2023, 1, 1),
    "BG": date(2024, 3, 31),
    "RO": date(2024, 3, 31),
}  # fmt: skip

#: The member states today (29 as of 2026).
SCHENGEN_STATES: Final[frozenset[str]] = frozenset(SCHENGEN_SINCE)


def in_schengen(country: str | None, on: date | None = None) -> bool:
    """Whether `country` (ISO alpha-2) is a member, on `on` (default: as the table stands today)."""
    if not country:
        return False
    since = SCHENGEN_SINCE.get(country.strip().upper())
    return since is not None and (on is None or since <= on)


def airport_in_schengen(code: str | None, on: date | None = None) -> bool | None:
    """Whether the airport with this IATA code lies in the Schengen area (on `on`); None when unknown."""
    info = airport(code)
    if info is None:
        return None
    return in_schengen(info.country, on)
