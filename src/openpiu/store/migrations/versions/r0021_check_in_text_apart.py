"""A check-in's free text moves to the identifying part of stored bookings (issue 4; Art 12(2)): the
text of a DAT qualifier 3 is the carrier's own note of a check-in and may name the traveller, so masking
must find it with the check-in's names.

Before, ``text`` stayed in each check-in of the public itinerary (``booking_versions.record``). The store
now keeps it in ``booking_identities.record``'s ``check_in_names``, whose entries grow from [segment,
check-in, surname, given names] to [segment, check-in, surname, given names, text] where there is a text.
Reading joins the parts as before. This moves what earlier versions stored, in batches by id; nothing is
lost or changed but where it is kept.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic import op

# The batched walk over public and identifying parts written for 0020 (a migration's code is frozen).
from openpiu.store.migrations.versions.r0020_identifying_items_apart import _VERSIONS, _pairs, _write

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMES = 2  # surname and given names come before the text in an entry of check_in_names


def _up(public: dict[str, Any], identity: dict[str, Any]) -> bool:
    entries = {(entry[0], entry[1]): entry for entry in identity.get("check_in_names", ())}
    moved = False
    for s, segment in enumerate(public.get("segments", ())):
        for c, check_in in enumerate(segment.get("check_ins", ())):
            if check_in.get("text") is None:
                continue
            text = check_in.pop("text")
            entry = entries.get((s, c))
            if entry is None:
                entry = entries[s, c] = [s, c]
            names = (entry[2:] + [None] * _NAMES)[:_NAMES]  # an entry without names, or only a surname
            entry[2:] = [*names, text]
            moved = True
    if moved:
        identity["check_in_names"] = [entries[key] for key in sorted(entries)]
    return moved


def _down(public: dict[str, Any], identity: dict[str, Any]) -> bool:
    moved = False
    kept = []
    for entry in identity.get("check_in_names", ()):
        s, c, *names = entry
        if len(names) > _NAMES:
            public["segments"][s]["check_ins"][c]["text"] = names[_NAMES]
            names = names[:_NAMES]
            while names and names[-1] is None:
                names.pop()
            moved = True
        if names:
            kept.append([s, c, *names])
    if moved:
        if kept:
            identity["check_in_names"] = kept
        else:
            identity.pop("check_in_names", None)
    return moved


def _move(*, up: bool) -> None:
    connection = op.get_bind()
    step = _up if up else _down
    for batch in _pairs(connection, _VERSIONS):
        _write(connection, _VERSIONS, [(row, p, i) for row, p, i in batch if step(p, i)])


def upgrade() -> None:
    _move(up=True)


def downgrade() -> None:
    _move(up=False)
