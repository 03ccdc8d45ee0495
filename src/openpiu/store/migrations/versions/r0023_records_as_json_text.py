"""On PostgreSQL, the documents written for every booking record, traveller and API person are kept as
``json`` (the text, checked) instead of ``jsonb`` (issue 4): the server's CPU at ingest.

Measured on the documents of 23,600 booking records (COPY into an unindexed table, twice each): the
travellers' identifying parts 1.00 s as jsonb against 0.47 s as json, the booking versions 0.52-0.65 s
against 0.25-0.39 s. Reading them back is cheaper too (the text as it is, not a binary form turned back
into text). No query compares them or looks inside them but the flight manifest, which now reads them
whole as it does on SQLite. SQLite keeps JSON as text already: nothing changes there.

The change rewrites each table once (minutes for tens of millions of rows; see docs/operations.md,
Upgrades).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "booking_versions",
    "booking_identities",
    "travellers",
    "traveller_identities",
    "api_persons",
    "api_person_identities",
)


def _retype(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN record TYPE {kind} USING record::{kind}")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
