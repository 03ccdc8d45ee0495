"""SSR and OSI items, a traveller's gender and the number travelling together move to the identifying
parts of stored bookings and travellers (issue 4; Art 12(2)): masking must find every identifying element
there.

Before, a booking's and a traveller's ``services`` (SSR and OSI items: DOCS with the passport number, name
and date of birth, CTCE and CTCM with e-mail and phone, FQTV ...) and a traveller's gender (read from the
travel document) were kept in the public documents (``booking_versions.record``, ``travellers.record``),
and each segment's number travelling together (``party_size``) and SSR items in the booking's public
itinerary. The store now writes them to ``booking_identities.record`` (``services``, and ``party_sizes``
and ``segment_services`` by segment position) and ``traveller_identities.record`` (``services``,
``gender``); reading joins the parts as before. This moves what earlier versions stored, in batches by id;
nothing is lost or changed but where it is kept.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2_000
_Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TRAVELLER_FIELDS = ("services", "gender")


class _Parts(NamedTuple):
    """A table of public documents and the table of their identifying parts, each with its key."""

    public: sa.TableClause
    key: str
    identity: sa.TableClause
    identity_key: str


def _parts(public: str, identity: str, identity_key: str) -> _Parts:
    def table(name: str, key: str) -> sa.TableClause:
        return sa.table(name, sa.column(key, sa.BigInteger), sa.column("record", _Document))

    return _Parts(table(public, "id"), "id", table(identity, identity_key), identity_key)


_TRAVELLERS = _parts("travellers", "traveller_identities", "traveller_id")
_VERSIONS = _parts("booking_versions", "booking_identities", "version_id")


def _document(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, (str, bytes)) else value)


def _pairs(
    connection: sa.Connection, parts: _Parts
) -> Iterator[list[tuple[int, dict[str, Any], dict[str, Any]]]]:
    """(id, public document, identifying document) of every row, in batches by id."""
    public, key, identity, identity_key = parts
    last = 0
    while True:
        rows = connection.execute(
            sa.select(public.c[key], public.c.record, identity.c.record)
            .select_from(public.join(identity, identity.c[identity_key] == public.c[key]))
            .where(public.c[key] > last)
            .order_by(public.c[key])
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [(row[0], _document(row[1]), _document(row[2])) for row in rows]


def _write(
    connection: sa.Connection, parts: _Parts, changed: list[tuple[int, dict[str, Any], dict[str, Any]]]
) -> None:
    if not changed:
        return
    public, key, identity, identity_key = parts
    connection.execute(
        sa.update(public).where(public.c[key] == sa.bindparam("row")).values(record=sa.bindparam("doc")),
        [{"row": row, "doc": doc} for row, doc, _ in changed],
    )
    connection.execute(
        sa.update(identity)
        .where(identity.c[identity_key] == sa.bindparam("row"))
        .values(record=sa.bindparam("doc")),
        [{"row": row, "doc": doc} for row, _, doc in changed],
    )


#: A segment's field moved out of the public itinerary, and where the identifying part keeps it (by position).
_SEGMENT_FIELDS = (("party_size", "party_sizes"), ("services", "segment_services"))


def _fields(public: dict[str, Any], identity: dict[str, Any], names: Sequence[str], *, up: bool) -> bool:
    """Move the top-level fields ``names`` to the identifying part (``up``) or back; whether any moved."""
    source, target = (public, identity) if up else (identity, public)
    moved = {name: source.pop(name) for name in names if name in source}
    target.update(moved)
    return bool(moved)


def _traveller_step(public: dict[str, Any], identity: dict[str, Any], *, up: bool) -> bool:
    return _fields(public, identity, _TRAVELLER_FIELDS, up=up)


def _booking_step(public: dict[str, Any], identity: dict[str, Any], *, up: bool) -> bool:
    """A booking's items, and its segments' fields by position, moved up or back."""
    moved = _fields(public, identity, ("services",), up=up)
    segments = public.get("segments", ())
    for field, kept in _SEGMENT_FIELDS:
        if up:
            found = [[s, segment.pop(field)] for s, segment in enumerate(segments) if field in segment]
            if found:
                identity[kept] = found
        else:
            found = identity.pop(kept, [])
            for s, value in found:
                segments[s][field] = value
        moved = moved or bool(found)
    return moved


def _move(*, up: bool) -> None:
    connection = op.get_bind()
    for parts, step in ((_TRAVELLERS, _traveller_step), (_VERSIONS, _booking_step)):
        for batch in _pairs(connection, parts):
            changed = [
                (row, public, identity) for row, public, identity in batch if step(public, identity, up=up)
            ]
            _write(connection, parts, changed)


def upgrade() -> None:
    _move(up=True)


def downgrade() -> None:
    _move(up=False)
