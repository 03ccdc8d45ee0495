"""Use cases of watchlists in the database: import a version (`openpiu watchlist import`, or an upload on the
watchlist pages), list them.

A list screened against must say why the PIU may use it: its legal basis, category (terrorism or an
Annex II code) and owner are required at import (from the options; a file carries none of them). Each
import is a new version, made active in one transaction; the import is recorded in the audit log.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path
from typing import Any, Final

from openpiu.clock import Clock
from openpiu.model import Watchlist
from openpiu.screening.criteria import PURPOSES
from openpiu.screening.watchlists import WatchlistError, read_watchlist
from openpiu.store import Store, StoredWatchlist, StoreError, open_store

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MissingListFacts",
    "UploadRefused",
    "WatchlistDesk",
    "demo_hits",
    "import_into",
    "import_watchlist_file",
    "list_watchlists",
    "watchlist_json",
]


class MissingListFacts(ValueError):
    """The list lacks what makes screening against it lawful (legal basis, category, owner)."""


def import_into(
    store: Store,
    path: str | Path,
    *,
    actor: str,
    overrides: dict[str, Any] | None = None,
) -> StoredWatchlist:
    """Read a watchlist file and keep it in ``store`` as a new, active version; the import is audited.

    WatchlistError (with the line) when the file cannot be read: nothing is imported then.
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
    store = open_store(url, clock=clock)
    try:
        return import_into(store, path, actor=actor, overrides=overrides)
    finally:
        store.close()


class UploadRefused(ValueError):
    """An uploaded watchlist that is not imported; the message says why (with the file's line)."""


#: The largest watchlist file taken through the web page (OFAC's SDN list is about 5 MB).
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")


class WatchlistDesk:
    """The watchlist pages' use cases on one store: every list and version, and import of an upload."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def versions(self) -> list[StoredWatchlist]:
        """Every version of every list (metadata and sizes only: no entries), by list, newest first."""
        found = self.store.watchlists()
        return sorted(found, key=lambda w: (w.watchlist.list_id, -w.imported_at.timestamp(), -w.id))

    def import_upload(self, actor: str, filename: str, data: bytes, facts: dict[str, Any]) -> StoredWatchlist:
        """Import an uploaded file (the formats `read_watchlist` reads) with the list's facts.

        ``facts``: legal_basis, category and owner (required), and list_id, name, source (optional). A file
        that cannot be read is refused with its line, and nothing is imported.
        """
        shown = Path(filename or "").name or "upload"
        if not data:
            raise UploadRefused(f"{shown} is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadRefused(f"{shown} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        given = {k: v.strip() for k, v in facts.items() if isinstance(v, str) and v.strip()}
        category = given.get("category")
        if category is not None and category not in PURPOSES:
            raise UploadRefused(f"the category must be terrorism or an Annex II code, not {category!r}")
        given.setdefault("source", f"uploaded file {shown}")
        # The readers take a path (an OFAC file is recognised by its name and content): the upload is
        # written under its own name, whose stem becomes the list's id unless one is given.
        safe = _SAFE_NAME.sub("_", shown).strip("._") or "upload"
        with tempfile.TemporaryDirectory(prefix="openpiu-upload-") as folder:
            path = Path(folder) / safe
            path.write_bytes(data)
            try:
                return import_into(self.store, path, actor=actor, overrides=given)
            except WatchlistError as error:
                where = f"{shown}:{error.line}" if error.line else shown
                raise UploadRefused(f"{where}: {error.message}; nothing was imported") from None
            except MissingListFacts as error:
                raise UploadRefused(str(error).split(" (--")[0]) from None
            except StoreError as error:
                raise UploadRefused(f"{shown}: {error}; nothing was imported") from None


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
