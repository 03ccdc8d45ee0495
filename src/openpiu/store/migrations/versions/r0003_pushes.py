"""Every push of a flight (removals follow the latest full push, whatever the arrival order), and what
protection removed kept with each message (so a crash cannot lose the count).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "flight_pushes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("flight_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("function", sa.Text(), nullable=True),
        sa.Column("sender", sa.Text(), nullable=True),
        sa.Column("pushed_at", INSTANT, nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("stored_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flights.id"], name=op.f("fk_flight_pushes_flight_id_flights")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_flight_pushes_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flight_pushes")),
        sa.UniqueConstraint("message_id", name=op.f("uq_flight_pushes_message_id")),
    )
    op.create_index(op.f("ix_flight_pushes_flight_date"), "flight_pushes", ["flight_date"], unique=False)
    op.create_index(op.f("ix_flight_pushes_flight_id"), "flight_pushes", ["flight_id"], unique=False)
    op.add_column("messages", sa.Column("removed_items", sa.Integer(), server_default="0", nullable=False))
    op.add_column("messages", sa.Column("removals", DOCUMENT, nullable=True))


def downgrade() -> None:
    op.drop_column("messages", "removals")
    op.drop_column("messages", "removed_items")
    op.drop_index(op.f("ix_flight_pushes_flight_id"), table_name="flight_pushes")
    op.drop_index(op.f("ix_flight_pushes_flight_date"), table_name="flight_pushes")
    op.drop_table("flight_pushes")
