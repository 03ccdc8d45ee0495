"""The SQL side of :class:`~openpiu.store.protocols.CriteriaDrafts`: drafts of criteria, their back-tests and
their approval.

A draft's text is written once; a revision is a new row naming the one it revises, so a back-test and an
approval always concern exactly the text a supervisor read. The back-test's counts (never who matched)
are kept with the draft beside the audit event of the read of travel data it made, in one transaction.
Approval is one transaction too: the draft row locked, the four-eyes and back-test rules checked, the
criteria activated, and each step appended to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openpiu.store import schema as t
from openpiu.store.protocols import (
    CriteriaDraft,
    CriterionSpec,
    DraftBacktest,
    InvalidTransition,
    NotFound,
)
from openpiu.store.sql_base import SqlBase

__all__ = ["DraftsMixin", "activate_in"]

#: Tries at appending to the audit chain when other writers keep taking the next number.

#: Why back-testing may read stored travel data (the audit log's reason).
BACKTEST_REASON = "analysis to create or update criteria (Art 6(2)(c))"


def activate_in(connection: Connection, spec: CriterionSpec, *, actor: str, now: datetime) -> CriterionSpec:
    """Make ``spec`` its criterion's one active version, in the caller's transaction."""
    c = t.criteria
    document = {
        "title": spec.title,
        "owner": spec.owner,
        "purpose": spec.purpose,
        "approved_by": spec.approved_by,
        "approved_on": None if spec.approved_on is None else spec.approved_on.isoformat(),
        "review_date": None if spec.review_date is None else spec.review_date.isoformat(),
        "expires_on": None if spec.expires_on is None else spec.expires_on.isoformat(),
    }
    connection.execute(sa.update(c).where(c.c.criterion_id == spec.criterion_id).values(active=False))
    known = connection.execute(
        sa.select(c.c.id).where(c.c.criterion_id == spec.criterion_id, c.c.version == spec.version)
    ).first()
    values = {"record": document, "source": spec.source, "active": True, "activated_at": now}
    if known is None:
        connection.execute(
            sa.insert(c).values(
                criterion_id=spec.criterion_id, version=spec.version, activated_by=actor, **values
            )
        )
    else:  # the same version activated again (after a deactivation)
        connection.execute(sa.update(c).where(c.c.id == known.id).values(activated_by=actor, **values))
    return replace(spec, activated_at=now, activated_by=actor)


def _draft(row: Row[Any]) -> CriteriaDraft:
    backtest = None
    if row.backtested_at is not None:
        backtest = DraftBacktest(
            start=row.backtest_from,
            end=row.backtest_to,
            at=row.backtested_at,
            by=row.backtested_by,
            summary=row.backtest or {},
        )
    return CriteriaDraft(
        id=row.id,
        text=row.text,
        author=row.author,
        created_at=row.created_at,
        based_on=row.based_on,
        backtest=backtest,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
    )


def _needs(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError(f"a criteria draft needs {what}")
    return text


class DraftsMixin(SqlBase):
    """Criteria drafts for :class:`~openpiu.store.sql.SqlStore`."""

    @staticmethod
    def _locked_draft(connection: Connection, draft_id: int) -> Row[Any]:
        d = t.criteria_drafts
        row = connection.execute(sa.select(d).where(d.c.id == draft_id).with_for_update()).one_or_none()
        if row is None:
            raise NotFound(f"no criteria draft {draft_id}")
        return row

    def save_draft(self, text: str, *, author: str, based_on: int | None = None) -> CriteriaDraft:
        author = _needs(author, "an author")
        _needs(text, "a text")
        d = t.criteria_drafts

        def work(connection: Connection) -> CriteriaDraft:
            if based_on is not None:
                self._locked_draft(connection, based_on)
            new_id = connection.execute(
                sa.insert(d)
                .values(text=text, author=author, created_at=self._now(), based_on=based_on)
                .returning(d.c.id)
            ).scalar_one()
            self._append_event(
                connection,
                actor=author,
                action="criteria.draft.saved",
                subject=f"criteria draft {new_id}",
                reason=None,
                details={"draft": new_id, "based_on": based_on, "characters": len(text)},
            )
            return _draft(connection.execute(sa.select(d).where(d.c.id == new_id)).one())

        return self._audited(work, "the change of the criteria draft")

    def draft(self, draft_id: int) -> CriteriaDraft | None:
        d = t.criteria_drafts
        with self._read() as connection:
            row = connection.execute(sa.select(d).where(d.c.id == draft_id)).one_or_none()
        return None if row is None else _draft(row)

    def drafts(self, *, limit: int = 100) -> list[CriteriaDraft]:
        d = t.criteria_drafts
        query = sa.select(d).order_by(d.c.id.desc()).limit(limit)
        with self._read() as connection:
            return [_draft(row) for row in connection.execute(query)]

    def record_backtest(
        self,
        draft_id: int,
        *,
        actor: str,
        start: date,
        end: date,
        summary: Mapping[str, Any],
        criteria: Sequence[str],
    ) -> CriteriaDraft:
        actor = _needs(actor, "the name of who back-tests it")
        d = t.criteria_drafts
        document = dict(summary)

        def work(connection: Connection) -> CriteriaDraft:
            row = self._locked_draft(connection, draft_id)
            if row.approved_at is not None:
                raise InvalidTransition(
                    f"criteria draft {draft_id} is approved: revise it to back-test again"
                )
            connection.execute(
                sa.update(d)
                .where(d.c.id == draft_id)
                .values(
                    backtest_from=start,
                    backtest_to=end,
                    backtest=document,
                    backtested_at=self._now(),
                    backtested_by=actor,
                )
            )
            # Back-testing reads the stored bookings of those flights: the read is audited.
            self._append_event(
                connection,
                actor=actor,
                action="criteria.backtested",
                subject=f"flights {start.isoformat()}..{end.isoformat()}",
                reason=BACKTEST_REASON,
                details={"draft": draft_id, "criteria": list(criteria)},
            )
            return _draft(connection.execute(sa.select(d).where(d.c.id == draft_id)).one())

        return self._audited(work, "the change of the criteria draft")

    def approve_draft(self, draft_id: int, specs: Sequence[CriterionSpec], *, actor: str) -> CriteriaDraft:
        actor = _needs(actor, "the name of who approves it")
        if not specs:
            raise ValueError("a criteria draft is approved with at least one criterion")
        d, c = t.criteria_drafts, t.criteria

        def work(connection: Connection) -> CriteriaDraft:
            row = self._locked_draft(connection, draft_id)
            if row.approved_at is not None:
                raise InvalidTransition(
                    f"criteria draft {draft_id} was approved by {row.approved_by} already"
                )
            if row.author.casefold() == actor.casefold():
                raise InvalidTransition(
                    "you wrote this draft: another supervisor must approve it (four eyes)"
                )
            if row.backtested_at is None:
                raise InvalidTransition(f"criteria draft {draft_id} was not back-tested: back-test it first")
            for spec in specs:
                exists = connection.execute(
                    sa.select(c.c.id).where(
                        c.c.criterion_id == spec.criterion_id, c.c.version == spec.version
                    )
                ).first()
                if exists is not None:
                    raise InvalidTransition(
                        f"{spec.criterion_id} version {spec.version} exists already: "
                        "write a new version (an approved version is never changed)"
                    )
            now = self._now()
            connection.execute(
                sa.update(d).where(d.c.id == draft_id).values(approved_by=actor, approved_at=now)
            )
            self._append_event(
                connection,
                actor=actor,
                action="criteria.draft.approved",
                subject=f"criteria draft {draft_id}",
                reason=f"written by {row.author}, back-tested by {row.backtested_by}",
                details={
                    "draft": draft_id,
                    "criteria": [f"{s.criterion_id} version {s.version}" for s in specs],
                    "backtest": [row.backtest_from.isoformat(), row.backtest_to.isoformat()],
                },
            )
            for spec in specs:
                activate_in(connection, spec, actor=actor, now=now)
                self._append_event(
                    connection,
                    actor=actor,
                    action="criterion.activated",
                    subject=f"criterion {spec.criterion_id} version {spec.version}",
                    reason=f"approved by {spec.approved_by} on {spec.approved_on}",
                    details={
                        "draft": draft_id,
                        "purpose": spec.purpose,
                        "expires_on": str(spec.expires_on),
                    },
                )
            return _draft(connection.execute(sa.select(d).where(d.c.id == draft_id)).one())

        return self._audited(work, "the change of the criteria draft")
