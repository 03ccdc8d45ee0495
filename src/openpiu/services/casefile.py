"""A traveller identity's journeys and network exported for a case file (issue 7 §3): one document with a
header saying who exported it, when, why (the purpose, and the case reference when there is one), how far
the network reaches, and how recent the data is; then the journeys (legs in local time and UTC, broken
travel with its reason) and the network (nodes, links with their reasons, hubs).

An export takes personal data out of the system: it needs a stated purpose (as a search does) and is an
audited event of its own (``case_file.export``), recorded before anything is read; the journeys and the
network are then read through their desks, which record their reads with the same purpose. The JSON
(`openpiu identity case-file`, and the web's download) and the printable page are made from one
:class:`CaseFile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpiu.clock import Clock
from openpiu.services.identity import NoSuchIdentity
from openpiu.services.journeys import IdentityJourneys, JourneyDesk
from openpiu.services.network import IdentityNetwork, NetworkDesk
from openpiu.services.search import MIN_PURPOSE
from openpiu.store import Store, open_store

__all__ = ["FORMAT", "CaseFile", "CaseFileDesk", "ExportRefused", "export_case_file"]

#: What the document says it is, and the version of its layout (add keys, never rename).
FORMAT = "openpiu case file"
VERSION = 1
#: The farthest a case file's network reaches: beyond three links a network says little about a person.
MAX_HOPS = 3


class ExportRefused(ValueError):
    """The export cannot be made as asked (no purpose, hops out of range)."""


@dataclass(frozen=True, slots=True)
class CaseFile:
    identity: int
    exported_by: str
    exported_at: datetime
    purpose: str
    case_reference: str | None
    hops: int
    #: The newest push of the identity's flights the store held when exported (None: no booking).
    data_as_of: datetime | None
    journeys: IdentityJourneys
    network: IdentityNetwork

    def to_dict(self) -> dict[str, Any]:
        """The case file's JSON: a header, the journeys (`openpiu journeys --json`'s object) and the
        network (`openpiu network --json`'s)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "header": {
                "identity": self.identity,
                "exported_by": self.exported_by,
                "exported_at": self.exported_at.isoformat(),
                "purpose": self.purpose,
                "case_reference": self.case_reference,
                "hops": self.hops,
                "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            },
            "journeys": self.journeys.to_dict(),
            "network": self.network.to_dict(),
        }


class CaseFileDesk:
    """Case-file exports on one store."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def export(
        self,
        actor: str,
        identity_id: int,
        *,
        purpose: str,
        hops: int = MAX_HOPS,
        case_reference: str | None = None,
    ) -> CaseFile:
        """The identity's case file; the export is recorded in the audit log first."""
        purpose = " ".join(purpose.split())
        if len(purpose) < MIN_PURPOSE:
            raise ExportRefused("say why you export (a purpose of a few words, kept in the audit log)")
        if not 0 <= hops <= MAX_HOPS:
            raise ExportRefused(f"a case file's network reaches 0 to {MAX_HOPS} links")
        reference = " ".join((case_reference or "").split()) or None
        store = self.store
        found = store.identity(identity_id)
        if found is None:
            raise NoSuchIdentity(f"no identity {identity_id} (it may have been merged into another)")
        exported_at = self.clock.now()
        store.record(
            actor=actor,
            action="case_file.export",
            subject=f"identity {identity_id}",
            reason=purpose,
            details={"hops": hops, "case_reference": reference},
        )
        journeys = JourneyDesk(store).journeys(actor, identity_id, reason=purpose)
        network = NetworkDesk(store).network(actor, identity_id, hops=hops, reason=purpose)
        bookings = sorted({m.booking_id for m in found.members if m.booking_id is not None})
        flights = sorted({summary.flight_id for summary in store.booking_summaries(bookings)})
        pushed = [flight.last_pushed_at for f in flights if (flight := store.flight(f)) is not None]
        return CaseFile(
            identity=identity_id,
            exported_by=actor,
            exported_at=exported_at,
            purpose=purpose,
            case_reference=reference,
            hops=hops,
            data_as_of=max(pushed, default=None),
            journeys=journeys,
            network=network,
        )


def export_case_file(
    url: str,
    identity_id: int,
    *,
    clock: Clock,
    actor: str,
    purpose: str,
    hops: int = MAX_HOPS,
    case_reference: str | None = None,
) -> CaseFile:
    """For the command line: by database URL."""
    store = open_store(url, clock=clock)
    try:
        return CaseFileDesk(store, clock).export(
            actor, identity_id, purpose=purpose, hops=hops, case_reference=case_reference
        )
    finally:
        store.close()
