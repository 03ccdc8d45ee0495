"""The SQL side of follows (openpiu.model.follows) and of the travel histories screening reads.

A follow names an *anchor* occurrence (the identity's first member when it was started): the identity
followed is the one that member belongs to now, so a merge carries the follow with it. Starting, reviewing
and ending a follow write the follow row, its event and the audit event in one transaction.

Screening asks, for all the travellers of a push at once, which belong to a followed identity
(`followed_occurrences`) and which bookings their identities are on (`identity_bookings`): one query each,
whatever the number of travellers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openpiu.model.follows import Follow, FollowEvent, FollowEventKind
from openpiu.store import schema as t
from openpiu.store.protocols import (
    FollowedOccurrence,
    IdentityBooking,
    InvalidTransition,
    NotFound,
    Occurrence,
)
from openpiu.store.sql_base import SqlBase

__all__ = ["FollowsMixin", "HistoriesMixin"]

#: Ids per IN list (SQLite's default limit on bound parameters is far above it).
_CHUNK = 900


def _chunks(values: Collection[int]) -> list[list[int]]:
    ordered = sorted(set(values))
    return [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


#: The follow's anchor occurrence: the identity it belongs to now is the one followed.
_ANCHOR = t.identity_members.alias("anchor")
_FIRST_VERSION = t.identity_members.alias("first_version")
_ASKED = t.identity_members.alias("asked")
_OTHER = t.identity_members.alias("other")


def _follow_columns() -> list[Any]:
    return [t.follows, _ANCHOR.c.identity_id.label("current_identity")]


def _follow_from() -> Any:
    return t.follows.join(_ANCHOR, _ANCHOR.c.id == t.follows.c.member_id)


def _follow(row: Row[Any]) -> Follow:
    m = row._mapping
    return Follow(
        id=m["id"],
        identity_id=m["current_identity"],
        followed_by=m["followed_by"],
        legal_basis=m["legal_basis"],
        reason=m["reason"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        review_at=m["review_at"],
        ended_at=m["ended_at"],
        end_reason=m["end_reason"],
        grounds=m["grounds"],
    )


class FollowsMixin(SqlBase):
    """Follows on SqlStore."""

    def follow_grounds(self, identity_id: int) -> str | None:
        i, im, j, h = t.identities, t.identity_members, t.identity_judgements, t.hits
        with self._read() as connection:
            if connection.execute(sa.select(i.c.id).where(i.c.id == identity_id)).first() is None:
                raise NotFound(f"no identity {identity_id} (it may have been merged into another)")
            members = sa.select(im.c.id).where(im.c.identity_id == identity_id)
            judgement = connection.execute(
                sa.select(j.c.id, j.c.decided_by)
                .where(
                    j.c.kind == "link",
                    sa.or_(j.c.first_member_id.in_(members), j.c.second_member_id.in_(members)),
                )
                .order_by(j.c.id)
                .limit(1)
            ).first()
            if judgement is not None:
                return f"identity link judgement {judgement.id} by {judgement.decided_by}"
            travellers = sa.select(im.c.traveller_id).where(
                im.c.identity_id == identity_id, im.c.traveller_id.is_not(None)
            )
            persons = sa.select(im.c.api_person_id).where(
                im.c.identity_id == identity_id, im.c.api_person_id.is_not(None)
            )
            hit = connection.execute(
                sa.select(h.c.id)
                .where(
                    h.c.outcome == "confirmed",
                    sa.or_(h.c.traveller_id.in_(travellers), h.c.api_person_id.in_(persons)),
                )
                .order_by(h.c.id)
                .limit(1)
            ).first()
        return None if hit is None else f"hit {hit.id} confirmed by an analyst"

    def _read_follow(self, connection: Connection, follow_id: int) -> Follow | None:
        row = connection.execute(
            sa.select(*_follow_columns()).select_from(_follow_from()).where(t.follows.c.id == follow_id)
        ).first()
        return None if row is None else _follow(row)

    def _follow_event(
        self,
        connection: Connection,
        follow_id: int,
        kind: FollowEventKind,
        *,
        actor: str,
        reason: str,
        at: datetime,
        expires_at: datetime | None,
        details: dict[str, Any],
    ) -> None:
        connection.execute(
            sa.insert(t.follow_events).values(
                follow_id=follow_id, kind=kind.value, actor=actor, reason=reason, at=at, expires_at=expires_at
            )
        )
        self._append_event(
            connection,
            actor=actor,
            action=f"follow.{kind.value}",
            subject=f"follow {follow_id}",
            reason=reason,
            details=details,
        )

    def start_follow(
        self,
        identity_id: int,
        *,
        actor: str,
        legal_basis: str,
        reason: str,
        expires_at: datetime,
        review_at: datetime,
        grounds: str,
    ) -> Follow:
        im, f = t.identity_members, t.follows

        def work(connection: Connection) -> Follow:
            anchor = connection.execute(
                sa.select(im.c.id).where(im.c.identity_id == identity_id).order_by(im.c.id).limit(1)
            ).scalar_one_or_none()
            if anchor is None:
                raise NotFound(f"no identity {identity_id} (it may have been merged into another)")
            now = self._now()
            follow_id = connection.execute(
                sa.insert(f)
                .values(
                    member_id=anchor,
                    identity_ref=identity_id,
                    followed_by=actor,
                    legal_basis=legal_basis,
                    reason=reason,
                    grounds=grounds,
                    created_at=now,
                    expires_at=expires_at,
                    review_at=review_at,
                )
                .returning(f.c.id)
            ).scalar_one()
            self._follow_event(
                connection,
                follow_id,
                FollowEventKind.STARTED,
                actor=actor,
                reason=reason,
                at=now,
                expires_at=expires_at,
                details={
                    "identity": identity_id,
                    "legal_basis": legal_basis,
                    "grounds": grounds,
                    "expires_at": expires_at.isoformat(),
                },
            )
            found = self._read_follow(connection, follow_id)
            assert found is not None
            return found

        return self._audited(work, "the start of a follow")

    def _change_follow(
        self,
        follow_id: int,
        kind: FollowEventKind,
        *,
        actor: str,
        reason: str,
        expires_at: datetime | None = None,
        review_at: datetime | None = None,
    ) -> Follow:
        f = t.follows

        def work(connection: Connection) -> Follow:
            known = connection.execute(
                sa.select(f.c.ended_at).where(f.c.id == follow_id).with_for_update()
            ).first()
            if known is None:
                raise NotFound(f"no follow {follow_id}")
            if known.ended_at is not None:
                raise InvalidTransition(f"follow {follow_id} has ended: start a new one")
            now = self._now()
            if kind is FollowEventKind.ENDED:
                values = {"ended_at": now, "end_reason": reason}
            else:
                values = {"expires_at": expires_at, "review_at": review_at}
            connection.execute(sa.update(f).where(f.c.id == follow_id).values(**values))
            details: dict[str, Any] = {} if expires_at is None else {"expires_at": expires_at.isoformat()}
            self._follow_event(
                connection,
                follow_id,
                kind,
                actor=actor,
                reason=reason,
                at=now,
                expires_at=expires_at,
                details=details,
            )
            found = self._read_follow(connection, follow_id)
            assert found is not None
            return found

        return self._audited(work, f"the {kind.value} follow")

    def review_follow(
        self, follow_id: int, *, actor: str, reason: str, expires_at: datetime, review_at: datetime
    ) -> Follow:
        return self._change_follow(
            follow_id,
            FollowEventKind.REVIEWED,
            actor=actor,
            reason=reason,
            expires_at=expires_at,
            review_at=review_at,
        )

    def end_follow(self, follow_id: int, *, actor: str, reason: str) -> Follow:
        return self._change_follow(follow_id, FollowEventKind.ENDED, actor=actor, reason=reason)

    def follow(self, follow_id: int) -> Follow | None:
        with self._read() as connection:
            return self._read_follow(connection, follow_id)

    def follows(self, *, followed_by: str | None = None, include_ended: bool = False) -> list[Follow]:
        f = t.follows
        query = sa.select(*_follow_columns()).select_from(_follow_from()).order_by(f.c.review_at, f.c.id)
        if followed_by is not None:
            query = query.where(f.c.followed_by == followed_by)
        if not include_ended:
            query = query.where(f.c.ended_at.is_(None))
        with self._read() as connection:
            return [_follow(row) for row in connection.execute(query)]

    def follow_events(self, follow_id: int) -> list[FollowEvent]:
        e = t.follow_events
        with self._read() as connection:
            rows = connection.execute(sa.select(e).where(e.c.follow_id == follow_id).order_by(e.c.id)).all()
        return [
            FollowEvent(
                id=row.id,
                follow_id=row.follow_id,
                kind=FollowEventKind(row.kind),
                actor=row.actor,
                reason=row.reason,
                at=row.at,
                expires_at=row.expires_at,
            )
            for row in rows
        ]

    def followed_occurrences(
        self, *, traveller_ids: Collection[int] = (), api_person_ids: Collection[int] = (), now: datetime
    ) -> list[FollowedOccurrence]:
        if not traveller_ids and not api_person_ids:
            return []
        f, im, a = t.follows, t.identity_members, _ANCHOR
        # A later version of a booking's traveller joins through the booking itself: the evidence that
        # first linked this booking's traveller to the identity is its first version's.
        first = _FIRST_VERSION
        first_reasons = (
            sa.select(first.c.reasons)
            .where(first.c.booking_id == im.c.booking_id, first.c.chain == im.c.chain)
            .order_by(first.c.id)
            .limit(1)
            .scalar_subquery()
        )
        wanted = [im.c.traveller_id.in_(chunk) for chunk in _chunks(traveller_ids)]
        wanted += [im.c.api_person_id.in_(chunk) for chunk in _chunks(api_person_ids)]
        # From the few active follows to their identities' members: the follows are the small side.
        query = (
            sa.select(
                f,
                a.c.identity_id.label("current_identity"),
                im.c.traveller_id.label("occurrence_traveller"),
                im.c.api_person_id.label("occurrence_person"),
                im.c.reasons.label("occurrence_reasons"),
                im.c.score.label("occurrence_score"),
                first_reasons.label("first_reasons"),
            )
            .select_from(f.join(a, a.c.id == f.c.member_id).join(im, im.c.identity_id == a.c.identity_id))
            .where(f.c.ended_at.is_(None), f.c.expires_at > now, sa.or_(*wanted))
            .order_by(f.c.id, im.c.id)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
        found = []
        for row in rows:
            m = row._mapping
            found.append(
                FollowedOccurrence(
                    follow=_follow(row),
                    occurrence=Occurrence(
                        traveller_id=m["occurrence_traveller"], api_person_id=m["occurrence_person"]
                    ),
                    reasons=tuple(
                        dict.fromkeys([*(m["first_reasons"] or ()), *(m["occurrence_reasons"] or ())])
                    ),
                    score=m["occurrence_score"],
                )
            )
        return found


class HistoriesMixin(SqlBase):
    """The bookings of travellers' identities, for the journey features at screening time."""

    def identity_bookings(self, traveller_ids: Collection[int]) -> list[IdentityBooking]:
        if not traveller_ids:
            return []
        asked, other = _ASKED, _OTHER
        found: list[IdentityBooking] = []
        with self._read() as connection:
            for chunk in _chunks(traveller_ids):
                rows = connection.execute(
                    sa.select(
                        asked.c.traveller_id,
                        asked.c.identity_id,
                        other.c.booking_id,
                        other.c.traveller_id.label("other_traveller"),
                    )
                    .select_from(asked.join(other, other.c.identity_id == asked.c.identity_id))
                    .where(
                        asked.c.traveller_id.in_(chunk),
                        other.c.booking_id.is_not(None),
                        other.c.traveller_id.is_not(None),
                    )
                    .order_by(asked.c.traveller_id, other.c.booking_id, other.c.id)
                )
                found.extend(
                    IdentityBooking(
                        traveller_id=row.traveller_id,
                        identity_id=row.identity_id,
                        booking_id=row.booking_id,
                        occurrence=Occurrence(traveller_id=row.other_traveller),
                    )
                    for row in rows
                )
        return found
