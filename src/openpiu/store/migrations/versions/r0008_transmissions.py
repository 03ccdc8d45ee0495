"""Transmissions of confirmed hits to competent authorities, and the append-only history of each.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "transmissions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("hit_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("authority_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content", DOCUMENT, nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", INSTANT, nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", INSTANT, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("sent_at", INSTANT, nullable=True),
        sa.Column("delivery_ref", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", INSTANT, nullable=True),
        sa.Column("masked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["hit_id"], ["hits.id"], name=op.f("fk_transmissions_hit_id_hits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmissions")),
    )
    op.create_index(op.f("ix_transmissions_hit_id"), "transmissions", ["hit_id"], unique=False)
    op.create_index(op.f("ix_transmissions_flight_date"), "transmissions", ["flight_date"], unique=False)
    op.create_index(op.f("ix_transmissions_state"), "transmissions", ["state"], unique=False)
    op.create_table(
        "transmission_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("transmission_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transmission_id"],
            ["transmissions.id"],
            name=op.f("fk_transmission_events_transmission_id_transmissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmission_events")),
    )
    op.create_index(
        op.f("ix_transmission_events_transmission_id"),
        "transmission_events",
        ["transmission_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_transmission_events_flight_date"), "transmission_events", ["flight_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_transmission_events_flight_date"), table_name="transmission_events")
    op.drop_index(op.f("ix_transmission_events_transmission_id"), table_name="transmission_events")
    op.drop_table("transmission_events")
    op.drop_index(op.f("ix_transmissions_state"), table_name="transmissions")
    op.drop_index(op.f("ix_transmissions_flight_date"), table_name="transmissions")
    op.drop_index(op.f("ix_transmissions_hit_id"), table_name="transmissions")
    op.drop_table("transmissions")
