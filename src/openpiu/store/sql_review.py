"""The SQL side of analysts' work on hits: decisions (append-only) and the hit queue.

A decision is inserted, never updated; it names the decision it supersedes. The hit row keeps the latest
outcome and its time beside the decisions, written in the same transaction, so that the queue ("hits
waiting", "confirmed today") is one indexed query however many decisions there are.

The queue joins each hit with its flight (designator, route, departure) and the name of the person it is
about (the traveller's identity row, or the API person's), so callers showing it must audit the read.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openpiu.model import Decision, DecisionOutcome, Feature, Hit, HitKind, WatchlistEntry
from openpiu.store import schema as t
from openpiu.store.codec import from_json, traveller_from_parts
from openpiu.store.protocols import (
    CriterionSpec,
    HitQuery,
    HitState,
    InvalidTransition,
    NotFound,
    QueueItem,
    StoredApiPerson,
    StoredDecision,
    StoredHit,
    StoredTraveller,
)
from openpiu.store.sql_base import SqlBase

__all__ = ["ReviewMixin", "criterion_spec", "stored_hit"]


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def criterion_spec(row: Row[Any]) -> CriterionSpec:
    """A criteria row as a CriterionSpec."""
    return CriterionSpec(
        criterion_id=row.criterion_id,
        version=row.version,
        title=row.record["title"],
        owner=row.record["owner"],
        purpose=row.record["purpose"],
        source=row.source,
        approved_by=row.record.get("approved_by"),
        approved_on=_day(row.record.get("approved_on")),
        review_date=_day(row.record.get("review_date")),
        expires_on=_day(row.record.get("expires_on")),
        activated_at=row.activated_at,
        activated_by=row.activated_by,
    )


def stored_hit(row: Row[Any]) -> StoredHit:
    """A hits row (all columns) as a StoredHit."""
    # By the row's mapping: SQLAlchemy's row answers an attribute only after looking for it on its class
    # (an exception raised and caught per column), ten times the cost; pages read hundreds of hits.
    m = row._mapping
    return StoredHit(
        id=m["id"],
        flight_date=m["flight_date"],
        hit=Hit(
            kind=HitKind(m["kind"]),
            flight_id=m["flight_id"],
            booking_id=m["booking_id"],
            traveller_key=m["traveller_key"],
            traveller_id=m["traveller_id"],
            api_person_id=m["api_person_id"],
            source_id=m["source_id"],
            source_version=m["source_version"],
            list_id=m["list_id"],
            score=m["score"],
            priority=m["priority"],
            explanation=tuple(from_json(Feature, f) for f in m["explanation"]),
        ),
        first_seen_at=m["first_seen_at"],
        last_seen_at=m["last_seen_at"],
        screenings=m["screenings"],
        outcome=None if m["outcome"] is None else DecisionOutcome(m["outcome"]),
        decided_at=m["decided_at"],
        superseded_by=m["superseded_by"],
        superseded_at=m["superseded_at"],
    )


def _stored_decision(row: Row[Any]) -> StoredDecision:
    return StoredDecision(
        id=row.id,
        decision=Decision(
            hit_id=row.hit_id,
            outcome=DecisionOutcome(row.outcome),
            reason=row.reason,
            decided_by=row.decided_by,
        ),
        decided_at=row.decided_at,
        supersedes=row.supersedes_id,
    )


def _filters(query: HitQuery) -> list[sa.ColumnElement[bool]]:
    h = t.hits
    # a hit taken over by a traveller's hit is that hit now: the queue shows it once
    where: list[sa.ColumnElement[bool]] = [h.c.superseded_by.is_(None)]
    state = HitState(query.state)
    if state is HitState.OPEN:
        where.append(h.c.outcome.is_(None))
    elif state is HitState.DECIDED:
        where.append(h.c.outcome.is_not(None))
    elif state is not HitState.ALL:
        where.append(h.c.outcome == state.value)
    if query.priority is not None:
        where.append(h.c.priority == query.priority)
    if query.kind is not None:
        where.append(h.c.kind == HitKind(query.kind).value)
    if query.list_id is not None:
        where.append(h.c.list_id == query.list_id)
    if query.flight_id is not None:
        where.append(h.c.flight_id == query.flight_id)
    if query.from_date is not None:
        where.append(h.c.flight_date >= query.from_date)
    if query.to_date is not None:
        where.append(h.c.flight_date <= query.to_date)
    return where


def _with_taken_over(hit_id: int) -> sa.Select[tuple[int]]:
    """The hit's id and those of the hits it took over (their decisions are its history)."""
    h = t.hits
    return sa.select(h.c.id).where(sa.or_(h.c.id == hit_id, h.c.superseded_by == hit_id))


def _name(surname: str | None, given_names: str | None) -> str:
    surname = surname or ""
    return f"{surname}/{given_names}" if given_names else surname


class ReviewMixin(SqlBase):
    """Decisions and the hit queue, for :class:`~openpiu.store.sql.SqlStore`."""

    if TYPE_CHECKING:  # provided by SqlStore

        def _api_persons(
            self, where: sa.ColumnElement[bool], *, unmatched_only: bool = False
        ) -> list[StoredApiPerson]: ...

    def decide(self, decision: Decision) -> StoredDecision:
        if not decision.reason.strip():
            raise ValueError("a decision needs a reason a person can read")
        if not decision.decided_by.strip():
            raise ValueError("a decision names who made it")
        outcome = DecisionOutcome(decision.outcome)
        return self._audited(lambda connection: self._decide(connection, decision, outcome), "the decision")

    def _decide(self, connection: Connection, decision: Decision, outcome: DecisionOutcome) -> StoredDecision:
        """The decision, the hit's latest outcome and the audit event: one transaction."""
        h, d = t.hits, t.decisions
        now = self._now()
        hit = connection.execute(
            sa.select(h.c.id, h.c.flight_date, h.c.superseded_by)
            .where(h.c.id == decision.hit_id)
            .with_for_update()
        ).one_or_none()
        if hit is None:
            raise NotFound(f"no hit {decision.hit_id}")
        if hit.superseded_by is not None:
            raise InvalidTransition(
                f"hit {decision.hit_id} was taken over by hit {hit.superseded_by}: decide that one"
            )
        previous = connection.execute(
            sa.select(sa.func.max(d.c.id)).where(d.c.hit_id.in_(_with_taken_over(decision.hit_id)))
        ).scalar()
        decision_id = connection.execute(
            sa.insert(d)
            .values(
                hit_id=decision.hit_id,
                flight_date=hit.flight_date,
                outcome=outcome.value,
                reason=decision.reason,
                decided_by=decision.decided_by,
                decided_at=now,
                supersedes_id=previous,
            )
            .returning(d.c.id)
        ).scalar_one()
        connection.execute(
            sa.update(h).where(h.c.id == decision.hit_id).values(outcome=outcome.value, decided_at=now)
        )
        self._append_event(
            connection,
            actor=decision.decided_by,
            action="hit.decided",
            subject=f"hit:{decision.hit_id}",
            reason=decision.reason,
            details={"outcome": outcome.value, "decision": decision_id, "supersedes": previous},
        )
        return StoredDecision(decision_id, decision, now, previous)

    def decisions(self, hit_id: int) -> list[StoredDecision]:
        d = t.decisions
        query = sa.select(d).where(d.c.hit_id.in_(_with_taken_over(hit_id))).order_by(d.c.id)
        with self._read() as connection:
            return [_stored_decision(row) for row in connection.execute(query)]

    def taken_over(self, hit_id: int) -> list[StoredHit]:
        h = t.hits
        query = sa.select(h).where(h.c.superseded_by == hit_id).order_by(h.c.id)
        with self._read() as connection:
            return [stored_hit(row) for row in connection.execute(query)]

    def hit(self, hit_id: int) -> StoredHit | None:
        with self._read() as connection:
            row = connection.execute(sa.select(t.hits).where(t.hits.c.id == hit_id)).one_or_none()
        return None if row is None else stored_hit(row)

    def traveller(self, traveller_id: int) -> StoredTraveller | None:
        tr, ti = t.travellers, t.traveller_identities
        query = (
            sa.select(tr, ti.c.record.label("identity"))
            .select_from(tr.join(ti, ti.c.traveller_id == tr.c.id))
            .where(tr.c.id == traveller_id)
        )
        with self._read() as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        return StoredTraveller(
            id=row.id,
            version_id=row.version_id,
            booking_id=row.booking_id,
            flight_date=row.flight_date,
            position=row.position,
            traveller=traveller_from_parts(row.record, row.identity),
        )

    def api_person(self, api_person_id: int) -> StoredApiPerson | None:
        found = self._api_persons(t.api_persons.c.id == api_person_id)
        return found[0] if found else None

    def watchlist_entry(self, list_id: str, version: str, entry_id: str) -> WatchlistEntry | None:
        w, e = t.watchlists, t.watchlist_entries
        query = (
            sa.select(e.c.record)
            .select_from(e.join(w, w.c.id == e.c.watchlist_id))
            .where(w.c.list_id == list_id, w.c.version == version, e.c.entry_id == entry_id)
        )
        with self._read() as connection:
            record = connection.execute(query).scalars().first()
        return None if record is None else from_json(WatchlistEntry, record)

    def criterion(self, criterion_id: str, version: str) -> CriterionSpec | None:
        c = t.criteria
        query = sa.select(c).where(c.c.criterion_id == criterion_id, c.c.version == version)
        with self._read() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else criterion_spec(row)

    def hit_queue(self, query: HitQuery) -> list[QueueItem]:
        h, f, b = t.hits, t.flights, t.bookings
        ti, ai = t.traveller_identities, t.api_person_identities
        statement = (
            sa.select(
                h,
                f.c.carrier,
                f.c.number,
                f.c.origin,
                f.c.destination,
                f.c.departure_utc,
                b.c.locator,
                ti.c.surname,
                ti.c.given_names,
                ai.c.record.label("api_identity"),
            )
            .select_from(
                h.outerjoin(f, f.c.id == h.c.flight_id)
                .outerjoin(b, b.c.id == h.c.booking_id)
                .outerjoin(ti, ti.c.traveller_id == h.c.traveller_id)
                .outerjoin(ai, ai.c.api_person_id == h.c.api_person_id)
            )
            .where(*_filters(query))
            # the soonest flight first (a flight only API data made known: by its date), then priority
            .order_by(
                h.c.flight_date,
                f.c.departure_utc.is_(None),
                f.c.departure_utc,
                h.c.priority,
                h.c.score.desc(),
                h.c.id,
            )
            .limit(max(0, query.limit))
            .offset(max(0, query.offset))
        )
        with self._read() as connection:
            rows = connection.execute(statement).all()
        items = []
        for row in rows:
            m = row._mapping  # see stored_hit
            if m["traveller_id"] is not None:
                name = _name(m["surname"], m["given_names"])
            else:
                identity = m["api_identity"] or {}
                name = _name(identity.get("surname"), identity.get("given_names"))
            flight = ""
            if m["carrier"] is not None:
                route = "-".join(p for p in (m["origin"], m["destination"]) if p)
                flight = f"{m['carrier']} {m['number']} {route}".strip()
            items.append(
                QueueItem(
                    hit=stored_hit(row),
                    flight=flight,
                    departure_utc=m["departure_utc"],
                    locator=m["locator"],
                    traveller_name=name,
                )
            )
        return items

    def count_hits(self, query: HitQuery) -> int:
        statement = sa.select(sa.func.count()).select_from(t.hits).where(*_filters(query))
        with self._read() as connection:
            return int(connection.execute(statement).scalar_one())
