"""The SQL side of transmissions to competent authorities: the row of each, its history, its audit.

A transmission row holds its current state and the facts of its life (who asked, who decided, how
delivery went); ``transmission_events`` holds every state change, appended, never updated. Each change
is one transaction: the row locked, the move checked against the allowed ones, the row updated, the
history row and the audit event appended. The hit's row is locked too where the move depends on its
latest decision (request, approval, retry), so a dismissal racing an approval is seen by one or the other.

The content (what leaves) is a JSON document beside the row, dated by the hit's flight, so the masking
and deletion jobs reach it with the rest of the flight's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openpiu.model import (
    DecisionOutcome,
    Transmission,
    TransmissionContent,
    TransmissionEvent,
    TransmissionState,
)
from openpiu.store import schema as t
from openpiu.store.codec import from_json, to_json
from openpiu.store.protocols import (
    InvalidTransition,
    NotFound,
    TransmissionQuery,
)
from openpiu.store.sql_base import SqlBase

__all__ = ["TransmissionsMixin"]

#: Tries at appending to the audit chain when other writers keep taking the next number.

_S = TransmissionState


def _transmission(row: Row[Any]) -> Transmission:
    return Transmission(
        id=row.id,
        hit_id=row.hit_id,
        authority_id=row.authority_id,
        action=row.action,
        purpose=row.purpose,
        content=from_json(TransmissionContent, row.content),
        state=TransmissionState(row.state),
        flight_date=row.flight_date,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        sent_at=row.sent_at,
        delivery_ref=row.delivery_ref,
        error=row.error,
        attempts=row.attempts,
        last_attempt_at=row.last_attempt_at,
    )


def _event(row: Row[Any]) -> TransmissionEvent:
    return TransmissionEvent(
        transmission_id=row.transmission_id,
        state=TransmissionState(row.state),
        actor=row.actor,
        at=row.at,
        reason=row.reason,
        attempt=row.attempt,
    )


def _needs(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError(f"a transmission needs {what}")
    return text


class TransmissionsMixin(SqlBase):
    """Transmissions and their history, for :class:`~openpiu.store.sql.SqlStore`."""

    @staticmethod
    def _confirmed_hit(connection: Connection, hit_id: int, *, new: bool = False) -> date:
        """The hit's flight date, its row locked, when its latest decision is confirmed (else
        InvalidTransition); for a `new` request also not taken over by another hit."""
        h = t.hits
        hit = connection.execute(
            sa.select(h.c.id, h.c.flight_date, h.c.outcome, h.c.superseded_by)
            .where(h.c.id == hit_id)
            .with_for_update()
        ).one_or_none()
        if hit is None:
            raise NotFound(f"no hit {hit_id}")
        if new and hit.superseded_by is not None:
            raise InvalidTransition(
                f"hit {hit_id} was taken over by hit {hit.superseded_by}: transmit that one"
            )
        if hit.outcome != DecisionOutcome.CONFIRMED.value:
            raise InvalidTransition(
                f"hit {hit_id} is not confirmed (its latest decision: {hit.outcome or 'none yet'}): "
                "only a hit a person confirmed may be transmitted"
            )
        flight_date: date = hit.flight_date
        return flight_date

    def _log(
        self,
        connection: Connection,
        row: Row[Any],
        *,
        state: TransmissionState,
        actor: str,
        action: str,
        reason: str | None,
        attempt: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """The history row and the audit event of a change (ids and codes only: no personal data)."""
        now = self._now()
        connection.execute(
            sa.insert(t.transmission_events).values(
                transmission_id=row.id,
                flight_date=row.flight_date,
                state=state.value,
                actor=actor,
                at=now,
                reason=reason,
                attempt=attempt,
            )
        )
        details: dict[str, Any] = {
            "transmission": row.id,
            "hit": row.hit_id,
            "authority": row.authority_id,
            "action": row.action,
            "state": state.value,
        }
        if attempt is not None:
            details["attempt"] = attempt
        details.update(extra or {})
        self._append_event(
            connection,
            actor=actor,
            action=action,
            subject=f"transmission:{row.id}",
            reason=reason,
            details=details,
        )

    def request_transmission(
        self,
        *,
        hit_id: int,
        authority_id: str,
        action: str,
        purpose: str,
        content: TransmissionContent,
        requested_by: str,
    ) -> Transmission:
        requested_by = _needs(requested_by, "the name of who asks for it")
        authority_id = _needs(authority_id, "an authority")
        action = _needs(action, "an action")
        purpose = _needs(purpose, "a purpose and legal basis")
        document = to_json(content)
        x = t.transmissions

        def work(connection: Connection) -> Transmission:
            flight_date = self._confirmed_hit(connection, hit_id, new=True)
            now = self._now()
            new_id = connection.execute(
                sa.insert(x)
                .values(
                    hit_id=hit_id,
                    flight_date=flight_date,
                    authority_id=authority_id,
                    action=action,
                    purpose=purpose,
                    state=_S.REQUESTED.value,
                    content=document,
                    requested_by=requested_by,
                    requested_at=now,
                    attempts=0,
                )
                .returning(x.c.id)
            ).scalar_one()
            row = connection.execute(sa.select(x).where(x.c.id == new_id)).one()
            self._log(
                connection,
                row,
                state=_S.REQUESTED,
                actor=requested_by,
                action="transmission.requested",
                reason=content.note or None,
            )
            return _transmission(row)

        return self._audited(work, "the change of the transmission")

    def _change(
        self,
        transmission_id: int,
        *,
        to: TransmissionState,
        allowed_from: frozenset[TransmissionState],
        actor: str,
        action: str,
        reason: str | None,
        values: Callable[[Row[Any], datetime], dict[str, Any]],
        check: Callable[[Connection, Row[Any]], None] | None = None,
        attempt: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> Transmission:
        """Move one transmission to ``to``: locked, checked, updated, its history and audit appended."""
        actor = _needs(actor, "the name of who acts on it")
        x = t.transmissions

        def work(connection: Connection) -> Transmission:
            row = connection.execute(
                sa.select(x).where(x.c.id == transmission_id).with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFound(f"no transmission {transmission_id}")
            state = TransmissionState(row.state)
            if state not in allowed_from:
                raise InvalidTransition(
                    f"transmission {transmission_id} is {state.value}: it cannot become {to.value}"
                )
            if check is not None:
                check(connection, row)
            now = self._now()
            changes = values(row, now)
            connection.execute(
                sa.update(x).where(x.c.id == transmission_id).values(state=to.value, **changes)
            )
            updated = connection.execute(sa.select(x).where(x.c.id == transmission_id)).one()
            self._log(
                connection,
                updated,
                state=to,
                actor=actor,
                action=action,
                reason=reason,
                attempt=updated.attempts if attempt else None,
                extra=extra,
            )
            return _transmission(updated)

        return self._audited(work, "the change of the transmission")

    def approve_transmission(self, transmission_id: int, *, actor: str, reason: str) -> Transmission:
        reason = _needs(reason, "a reason for the approval")

        def check(connection: Connection, row: Row[Any]) -> None:
            if row.requested_by.casefold() == actor.strip().casefold():
                raise ValueError(
                    f"transmission {transmission_id} was requested by the same person: "
                    "a second person approves it (four eyes)"
                )
            self._still_confirmed(connection, row)

        return self._change(
            transmission_id,
            to=_S.APPROVED,
            allowed_from=frozenset({_S.REQUESTED}),
            actor=actor,
            action="transmission.approved",
            reason=reason,
            values=lambda _row, now: {
                "decided_by": actor.strip(),
                "decided_at": now,
                "decision_reason": reason,
            },
            check=check,
        )

    def reject_transmission(self, transmission_id: int, *, actor: str, reason: str) -> Transmission:
        reason = _needs(reason, "a reason for the rejection")
        return self._change(
            transmission_id,
            to=_S.REJECTED,
            allowed_from=frozenset({_S.REQUESTED, _S.FAILED}),
            actor=actor,
            action="transmission.rejected",
            reason=reason,
            values=lambda _row, now: {
                "decided_by": actor.strip(),
                "decided_at": now,
                "decision_reason": reason,
            },
        )

    def retry_transmission(self, transmission_id: int, *, actor: str) -> Transmission:
        return self._change(
            transmission_id,
            to=_S.APPROVED,
            allowed_from=frozenset({_S.FAILED}),
            actor=actor,
            action="transmission.retried",
            reason="send again after a failed delivery",
            values=lambda _row, _now: {},
            check=self._still_confirmed,  # a hit dismissed since the approval is not sent again
        )

    def _still_confirmed(self, connection: Connection, row: Row[Any]) -> None:
        self._confirmed_hit(connection, row.hit_id)

    def mark_sent(self, transmission_id: int, *, actor: str, reference: str) -> Transmission:
        reference = _needs(reference, "the delivery's reference")
        return self._change(
            transmission_id,
            to=_S.SENT,
            allowed_from=frozenset({_S.APPROVED}),
            actor=actor,
            action="transmission.sent",
            reason=reference,
            values=lambda row, now: {
                "sent_at": now,
                "delivery_ref": reference,
                "error": None,
                "attempts": row.attempts + 1,
                "last_attempt_at": now,
            },
            attempt=True,
            extra={"reference": reference},
        )

    def mark_failed(self, transmission_id: int, *, actor: str, error: str) -> Transmission:
        error = _needs(error, "the error")
        return self._change(
            transmission_id,
            to=_S.FAILED,
            allowed_from=frozenset({_S.APPROVED}),
            actor=actor,
            action="transmission.failed",
            reason=error,
            values=lambda row, now: {"error": error, "attempts": row.attempts + 1, "last_attempt_at": now},
            attempt=True,
        )

    def transmission(self, transmission_id: int) -> Transmission | None:
        x = t.transmissions
        with self._read() as connection:
            row = connection.execute(sa.select(x).where(x.c.id == transmission_id)).one_or_none()
        return None if row is None else _transmission(row)

    def transmissions(self, query: TransmissionQuery) -> list[Transmission]:
        x = t.transmissions
        where: list[sa.ColumnElement[bool]] = []
        if query.state is not None:
            where.append(x.c.state == TransmissionState(query.state).value)
        if query.hit_id is not None:
            where.append(x.c.hit_id == query.hit_id)
        if query.authority_id is not None:
            where.append(x.c.authority_id == query.authority_id)
        statement = (
            sa.select(x)
            .where(*where)
            .order_by(x.c.id.desc())
            .limit(max(0, query.limit))
            .offset(max(0, query.offset))
        )
        with self._read() as connection:
            return [_transmission(row) for row in connection.execute(statement)]

    def transmission_history(self, transmission_id: int) -> list[TransmissionEvent]:
        e = t.transmission_events
        statement = sa.select(e).where(e.c.transmission_id == transmission_id).order_by(e.c.id)
        with self._read() as connection:
            return [_event(row) for row in connection.execute(statement)]
