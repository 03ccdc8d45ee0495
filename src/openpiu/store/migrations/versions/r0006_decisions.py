"""Decisions on hits: append-only, each superseding the one before; the latest outcome kept on the hit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("hits") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("decided_at", INSTANT, nullable=True))
    op.create_index("ix_hits_outcome_flight_date", "hits", ["outcome", "flight_date"], unique=False)
    op.create_table(
        "decisions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("hit_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", INSTANT, nullable=False),
        sa.Column("supersedes_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["hit_id"], ["hits.id"], name=op.f("fk_decisions_hit_id_hits")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["decisions.id"], name=op.f("fk_decisions_supersedes_id_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_hit_id"), "decisions", ["hit_id"], unique=False)
    op.create_index(op.f("ix_decisions_flight_date"), "decisions", ["flight_date"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_decisions_flight_date"), table_name="decisions")
    op.drop_index(op.f("ix_decisions_hit_id"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_index("ix_hits_outcome_flight_date", table_name="hits")
    with op.batch_alter_table("hits") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("outcome")
