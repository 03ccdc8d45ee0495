"""What :class:`~openpiu.store.sql.SqlStore` gives the mixins it is made of (accounts, review, views,
transmissions, criteria drafts): its connections, its clock, the audit chain, and one way to run a
change together with its audit event.

A change and its audit event are one transaction; when another writer appended to the audit chain
meanwhile, the chain's unique constraints refuse the event, nothing is written, and the change is tried
again on top of that writer's event.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from openpiu.store.protocols import AuditEvent, StoreError

__all__ = ["AUDIT_ATTEMPTS", "SqlBase"]

#: Tries at appending to the audit chain when other writers keep taking the next number.
AUDIT_ATTEMPTS = 20

T = TypeVar("T")


class SqlBase:
    """The part of SqlStore its mixins build on."""

    if TYPE_CHECKING:  # provided by SqlStore

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _write_derived(self) -> AbstractContextManager[Connection]: ...

        def _now(self) -> datetime: ...

        @property
        def engine(self) -> Engine: ...

        def _append_event(
            self,
            connection: Connection,
            *,
            actor: str,
            action: str,
            subject: str,
            reason: str | None,
            details: dict[str, Any],
        ) -> AuditEvent: ...

    def _audited(self, work: Callable[[Connection], T], what: str) -> T:
        """``work`` in one writing transaction (it appends its audit event), retried when the audit chain
        moved on meanwhile; ``what`` names the change in the error when every attempt lost."""
        for _attempt in range(AUDIT_ATTEMPTS):
            try:
                with self._write() as connection:
                    return work(connection)
            except IntegrityError:
                continue  # another writer took the chain's next number: nothing was written, try again
        raise StoreError(f"could not record {what} after {AUDIT_ATTEMPTS} attempts")
