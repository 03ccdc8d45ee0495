"""The notified scope: which flights this PIU may receive (Directive 2016/681 Art 2, CJEU C-817/19).

Flights between the EU and a third country are always in scope. An intra-EU flight is in scope only when
the member state notified it: either every intra-EU flight (allowed only during a genuine and present or
foreseeable terrorist threat, for a limited time) or selected routes. The selection changes over time, so
the scope is a list of versions, each valid from a date; the version in force on the flight's date
decides. Messages for flights outside it are not kept at all (only counted).

A scope file is JSON::

    {"versions": [
        {"version": "2026-1", "valid_from": "2026-01-01", "all_intra_eu": false,
         "routes": ["FRA-CDG", "DE-GR", "MUC-*"]}
    ]}

A route is two ends joined by ``-``; each end is an IATA airport code, an ISO country code or ``*``; a
route covers both directions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpiu.model.airports import airport

__all__ = [
    "EU_MEMBER_STATES",
    "EVERY_FLIGHT",
    "NotifiedScope",
    "ScopeError",
    "ScopeVersion",
    "load_scope",
    "scope_from",
]

#: The 27 member states (ISO 3166-1 alpha-2; Greece as GR), as of 2026.
EU_MEMBER_STATES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)


class ScopeError(ValueError):
    """The scope file is missing, unreadable or invalid; the message says where."""


@dataclass(frozen=True, slots=True)
class ScopeVersion:
    version: str
    valid_from: date
    all_intra_eu: bool
    routes: frozenset[tuple[str, str]]

    def covers_route(self, origin: str, destination: str) -> bool:
        if self.all_intra_eu:
            return True
        ends = []
        for code in (origin, destination):
            info = airport(code)
            ends.append({code, "*"} | ({info.country} if info else set()))
        a, b = ends
        return any((x in a and y in b) or (x in b and y in a) for x, y in self.routes)


@dataclass(frozen=True, slots=True)
class NotifiedScope:
    versions: tuple[ScopeVersion, ...]

    def version_on(self, day: date) -> ScopeVersion | None:
        """The version in force on ``day`` (None before the first one: only extra-EU flights)."""
        current = None
        for version in self.versions:
            if version.valid_from <= day:
                current = version
        return current

    def covers(self, origin: str | None, destination: str | None, day: date) -> bool:
        """Whether a flight from ``origin`` to ``destination`` on ``day`` may be received.

        A flight whose airports are not known (a message without them, an unknown code) is kept: what
        cannot be judged is not deleted unseen, and the PIU can delete it after review.
        """
        ends = [airport(origin), airport(destination)]
        if any(info is None for info in ends):
            return True
        if not all(info is not None and info.country in EU_MEMBER_STATES for info in ends):
            return True  # to or from a third country: always in scope
        version = self.version_on(day)
        return version is not None and version.covers_route(origin or "", destination or "")

    @property
    def label(self) -> str:
        return ",".join(v.version for v in self.versions) or "none"


#: The default when no scope file is set: every flight, intra-EU included.
EVERY_FLIGHT = NotifiedScope((ScopeVersion("all", date.min, True, frozenset()),))


def load_scope(path: Path) -> NotifiedScope:
    """The scope in ``path`` (see the module documentation for the format)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ScopeError(f"cannot read the scope file {path} (OPENPIU_SCOPE_FILE): {error}") from error
    return scope_from(document, source=str(path))


def scope_from(document: Any, *, source: str = "scope") -> NotifiedScope:
    if not isinstance(document, Mapping) or not isinstance(document.get("versions"), list):
        raise ScopeError(f"{source}: expected an object with a list of versions")
    versions = [_version(item, f"{source}: version {i + 1}") for i, item in enumerate(document["versions"])]
    if not versions:
        raise ScopeError(f"{source}: no version")
    versions.sort(key=lambda v: v.valid_from)
    days = [v.valid_from for v in versions]
    if len(set(days)) != len(days):
        raise ScopeError(f"{source}: two versions are valid from the same day")
    return NotifiedScope(tuple(versions))


def _version(item: Any, where: str) -> ScopeVersion:
    if not isinstance(item, Mapping):
        raise ScopeError(f"{where}: expected an object")
    name = item.get("version")
    if not isinstance(name, str) or not name.strip():
        raise ScopeError(f"{where}: needs a version name")
    try:
        valid_from = date.fromisoformat(str(item.get("valid_from")))
    except ValueError:
        raise ScopeError(f"{where}: valid_from must be a date YYYY-MM-DD") from None
    all_intra_eu = item.get("all_intra_eu", False)
    if not isinstance(all_intra_eu, bool):
        raise ScopeError(f"{where}: all_intra_eu must be true or false")
    routes = item.get("routes", [])
    if not isinstance(routes, list):
        raise ScopeError(f"{where}: routes must be a list")
    return ScopeVersion(name.strip(), valid_from, all_intra_eu, frozenset(_routes(routes, where)))


def _routes(routes: Iterable[Any], where: str) -> Iterable[tuple[str, str]]:
    for route in routes:
        ends = str(route).upper().split("-") if isinstance(route, str) else []
        if len(ends) != 2 or not all(_valid_end(end) for end in ends):
            raise ScopeError(
                f"{where}: route {route!r} must be two airports (IATA), countries (ISO) or * joined by -"
            )
        yield ends[0], ends[1]


def _valid_end(end: str) -> bool:
    if end == "*":
        return True
    if len(end) == 2 and end.isalpha():
        return True
    return len(end) == 3 and end.isalpha() and airport(end) is not None
