"""Hits on persons known from API data alone: booking, traveller and flight optional, the API person kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the id type in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_API_ONLY = "booking_id IS NULL"


def upgrade() -> None:
    # batch: SQLite changes a column's nullability only by copying the table (Alembic does it)
    with op.batch_alter_table("hits") as batch:
        batch.alter_column("flight_id", existing_type=ID, nullable=True)
        batch.alter_column("booking_id", existing_type=ID, nullable=True)
        batch.alter_column("traveller_id", existing_type=ID, nullable=True)
        batch.add_column(sa.Column("api_person_id", ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_hits_api_person_id_api_persons"), "api_persons", ["api_person_id"], ["id"]
        )
    op.create_index(
        "ix_hits_api_subject",
        "hits",
        ["kind", "traveller_key", "source_id"],
        unique=True,
        sqlite_where=sa.text(_API_ONLY),
        postgresql_where=sa.text(_API_ONLY),
    )


def downgrade() -> None:
    op.drop_index("ix_hits_api_subject", table_name="hits")
    with op.batch_alter_table("hits") as batch:
        batch.drop_constraint(op.f("fk_hits_api_person_id_api_persons"), type_="foreignkey")
        batch.drop_column("api_person_id")
        batch.alter_column("traveller_id", existing_type=ID, nullable=False)
        batch.alter_column("booking_id", existing_type=ID, nullable=False)
        batch.alter_column("flight_id", existing_type=ID, nullable=False)
