"""Use case: check the audit log's hash chain (`openpiu audit verify`).

Every event's hash covers its content and the hash of the event before, so a changed, removed or inserted
event breaks the chain at that event; the check names the first one.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpiu.clock import Clock
from openpiu.store import AuditEvent, AuditQuery, Store, open_store

__all__ = ["MAX_PAGE", "AuditLog", "AuditQuery", "AuditVerification", "verify_audit"]

#: Events a page of the log shows at most.
MAX_PAGE = 500


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
        return _verification(store)
    finally:
        store.close()


def _verification(store: Store) -> AuditVerification:
    check = store.verify()
    event = None
    if check.broken_at is not None:
        found = store.events(after=check.broken_at - 1, limit=1)
        event = found[0] if found and found[0].seq == check.broken_at else None
    return AuditVerification(
        ok=check.ok, events=check.events, broken_at=check.broken_at, problem=check.problem, event=event
    )


class AuditLog:
    """The audit log for the data protection officer and the supervisory authority: searched and checked.

    Reading the log is itself recorded (the log holds who looked at whom)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def search(self, actor: str, query: AuditQuery) -> list[AuditEvent]:
        if not 0 < query.limit <= MAX_PAGE:
            raise ValueError(f"a page shows 1 to {MAX_PAGE} events")
        self.store.record(
            actor=actor,
            action="audit.read",
            subject="audit log",
            reason="supervise the processing (Art 5, Art 13)",
            details={
                "actor": query.actor,
                "action": query.action,
                "subject": query.subject,
                "since": None if query.since is None else query.since.isoformat(),
                "until": None if query.until is None else query.until.isoformat(),
            },
        )
        return self.store.find_events(query)

    def verify(self, actor: str) -> AuditVerification:
        result = _verification(self.store)
        self.store.record(
            actor=actor,
            action="audit.verified",
            subject="audit log",
            details={"ok": result.ok, "events": result.events, "broken_at": result.broken_at},
        )
        return result
