"""A traveller's hit takes over the hit of the API person merged with them: when a passenger list arrives
before the booking, its person is screened alone (a hit without a booking); once the booking arrives and
the person is merged with its traveller, the traveller's hit on the same entry supersedes that hit, which
leaves the queue and names the hit that took it over. The queue's index holds the hits not taken over.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
_TAKEN_OVER = "superseded_by IS NOT NULL"
_IN_QUEUE = "superseded_by IS NULL"


def upgrade() -> None:
    # No foreign key on superseded_by: SQLite adds one only by copying the table (see the schema).
    op.add_column("hits", sa.Column("superseded_by", ID, nullable=True))
    op.add_column("hits", sa.Column("superseded_at", INSTANT, nullable=True))
    # partial: almost no hit is taken over, and the queue asks for those that are not
    op.create_index(
        "ix_hits_superseded_by",
        "hits",
        ["superseded_by"],
        unique=False,
        sqlite_where=sa.text(_TAKEN_OVER),
        postgresql_where=sa.text(_TAKEN_OVER),
    )
    # the queue shows only hits not taken over: its index holds only those
    op.drop_index("ix_hits_outcome_flight_date", table_name="hits")
    op.create_index(
        "ix_hits_queue",
        "hits",
        ["outcome", "flight_date"],
        unique=False,
        sqlite_where=sa.text(_IN_QUEUE),
        postgresql_where=sa.text(_IN_QUEUE),
    )


def downgrade() -> None:
    op.drop_index("ix_hits_queue", table_name="hits")
    op.create_index("ix_hits_outcome_flight_date", "hits", ["outcome", "flight_date"], unique=False)
    op.drop_index("ix_hits_superseded_by", table_name="hits")
    op.drop_column("hits", "superseded_at")  # SQLite drops a column in place since 3.35
    op.drop_column("hits", "superseded_by")
