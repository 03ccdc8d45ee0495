"""Use cases of watchlists in the database: import a version (`openpiu watchlist import`), list them.

A list screened against must say why the PIU may use it: its legal basis, category (terrorism or an
Annex II code) and owner are required at import (from the options; a file carries none of them). Each
import is a new version, made active in one transaction; the import is recorded in the audit log.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from openpiu.clock import Clock
from openpiu.model import Watchlist
from openpiu.screening.watchlists import read_watchlist
from openpiu.store import StoredWatchlist, open_store

__all__ = ["MissingListFacts", "demo_hits", "import_watchlist_file", "list_watchlists", "watchlist_json"]


class MissingListFacts(ValueError):
    """The list lacks what makes screening against it lawful (legal basis, category, owner)."""


def import_watchlist_file(
    url: str,
    path: str | Path,
    *,
    clock: Clock,
    actor: str,
    overrides: dict[str, Any] | None = None,
) -> StoredWatchlist:
    """Read a watchlist file (CSV, FollowTheMoney, OFAC, document list) and keep it as a new version.

    ``overrides`` sets the list's facts (list_id, name, version, source, legal_basis, category, owner,
    alert_threshold, valid_from, valid_until); legal basis, category and owner must end up set.
    """
    watchlist, entries = read_watchlist(path)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    watchlist = dataclasses.replace(watchlist, **given)
    missing = [name for name in ("legal_basis", "category", "owner") if not getattr(watchlist, name)]
    if missing:
        raise MissingListFacts(
            f"say the list's {', '.join(missing)} (--legal-basis, --category, --owner): "
            "a list is screened against only with a lawful basis and an owner"
        )
    store = open_store(url, clock=clock)
    try:
        stored = store.import_watchlist(watchlist, entries, actor=actor)
        store.record(
            actor=actor,
            action="watchlist.imported",
            subject=f"watchlist {watchlist.list_id} version {watchlist.version}",
            details={
                "entries": len(entries),
                "legal_basis": watchlist.legal_basis,
                "category": watchlist.category,
            },
        )
        return stored
    finally:
        store.close()


def watchlist_json(stored: StoredWatchlist) -> dict[str, Any]:
    w: Watchlist = stored.watchlist
    return {
        "list_id": w.list_id,
        "version": w.version,
        "name": w.name,
        "kind": w.kind.value,
        "category": w.category,
        "legal_basis": w.legal_basis,
        "owner": w.owner,
        "source": w.source,
        "alert_threshold": w.alert_threshold,
        "entries": stored.entries,
        "active": stored.active,
        "imported_at": stored.imported_at.isoformat(),
        "imported_by": stored.imported_by,
    }


def list_watchlists(url: str, *, clock: Clock, active_only: bool = False) -> list[dict[str, Any]]:
    store = open_store(url, clock=clock)
    try:
        return [watchlist_json(w) for w in store.watchlists(active_only=active_only)]
    finally:
        store.close()


def demo_hits(url: str, *, clock: Clock, limit: int = 5) -> list[dict[str, Any]]:
    """The first hits by priority, each with the traveller, what it matched and why (for `make demo`).

    The demo shows generated people only; the analyst's screens (issue 6) will audit such reads.
    """
    store = open_store(url, clock=clock)
    try:
        shown = []
        for stored in store.hits(limit=limit):
            hit = stored.hit
            booking = None if hit.booking_id is None else store.booking(hit.booking_id)
            flight = None if hit.flight_id is None else store.flight(hit.flight_id)
            where = f"{flight.flight.designator} {stored.flight_date}" if flight else str(stored.flight_date)
            subject = f"booking {booking.locator}" if booking else "passenger list (API data only),"
            shown.append(
                {
                    "summary": (
                        f"{hit.kind.value} hit, priority {hit.priority}, score {hit.score:.2f}: "
                        f"{subject} traveller {hit.traveller_key} on {where} matches "
                        f"{hit.list_id or 'criterion'} "
                        f"{hit.source_id}"
                    ),
                    "explanation": [
                        f"{f.feature}: {f.query!s} ~ {f.candidate!s} (agreement {f.score:.2f}, "
                        f"adds {f.contribution:+.2f})"
                        for f in hit.explanation
                        if f.contribution or not f.feature.startswith("name_part")
                    ],
                }
            )
        return shown
    finally:
        store.close()
