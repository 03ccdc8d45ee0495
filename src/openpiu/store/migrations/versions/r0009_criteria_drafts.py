"""Criteria drafts: the criteria text supervisors save on the criteria pages, its back-test and approval.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "criteria_drafts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("based_on", ID, nullable=True),
        sa.Column("backtest_from", sa.Date(), nullable=True),
        sa.Column("backtest_to", sa.Date(), nullable=True),
        sa.Column("backtest", DOCUMENT, nullable=True),
        sa.Column("backtested_at", INSTANT, nullable=True),
        sa.Column("backtested_by", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on"], ["criteria_drafts.id"], name=op.f("fk_criteria_drafts_based_on_criteria_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria_drafts")),
    )
    op.create_index(op.f("ix_criteria_drafts_created_at"), "criteria_drafts", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_criteria_drafts_created_at"), table_name="criteria_drafts")
    op.drop_table("criteria_drafts")
