"""A traveller's hit takes over the hit of the API person merged with them: when a passenger list arrives
before the booking, its person is screened alone (a hit without a booking); once the booking arrives and
the person is merged with its traveller, the traveller's hit on the same entry supersedes that hit, which
leaves the queue and names the hit that took it over.

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


def upgrade() -> None:
    # No foreign key on superseded_by: SQLite adds one only by copying the table (see the schema).
    op.add_column("hits", sa.Column("superseded_by", ID, nullable=True))
    op.add_column("hits", sa.Column("superseded_at", INSTANT, nullable=True))
    op.create_index(op.f("ix_hits_superseded_by"), "hits", ["superseded_by"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hits_superseded_by"), table_name="hits")
    op.drop_column("hits", "superseded_at")  # SQLite drops a column in place since 3.35
    op.drop_column("hits", "superseded_by")
