"""Use case: check the audit log's hash chain (`openpiu audit verify`).

Every event's hash covers its content and the hash of the event before, so a changed, removed or inserted
event breaks the chain at that event; the check names the first one.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpiu.clock import Clock
from openpiu.store import AuditEvent, open_store

__all__ = ["AuditVerification", "verify_audit"]


@dataclass(frozen=True, slots=True)
class AuditVerification:
    ok: bool
    events: int  # events checked and found good
    broken_at: int | None = None
    problem: str | None = None
    event: AuditEvent | None = None  # the first broken event, when it is still there


def verify_audit(url: str, *, clock: Clock) -> AuditVerification:
    """Recompute the chain of the audit log at ``url``."""
    store = open_store(url, clock=clock)
    try:
        check = store.verify()
        event = None
        if check.broken_at is not None:
            found = store.events(after=check.broken_at - 1, limit=1)
            event = found[0] if found and found[0].seq == check.broken_at else None
        return AuditVerification(
            ok=check.ok, events=check.events, broken_at=check.broken_at, problem=check.problem, event=event
        )
    finally:
        store.close()
