"""Screening: watchlists in versions with their entries, activated criteria, hits.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "criteria",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("criterion_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("activated_at", INSTANT, nullable=False),
        sa.Column("activated_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria")),
        sa.UniqueConstraint("criterion_id", "version", name=op.f("uq_criteria_criterion_id_version")),
    )
    op.create_table(
        "watchlists",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("imported_at", INSTANT, nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlists")),
        sa.UniqueConstraint("list_id", "version", name=op.f("uq_watchlists_list_id_version")),
    )
    op.create_table(
        "watchlist_entries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("watchlist_id", ID, nullable=False),
        sa.Column("entry_id", sa.Text(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_watchlist_entries_watchlist_id_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_entries")),
        sa.UniqueConstraint(
            "watchlist_id", "entry_id", name=op.f("uq_watchlist_entries_watchlist_id_entry_id")
        ),
    )
    op.create_index(
        op.f("ix_watchlist_entries_watchlist_id"), "watchlist_entries", ["watchlist_id"], unique=False
    )
    op.create_table(
        "hits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("flight_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("traveller_key", sa.Text(), nullable=False),
        sa.Column("traveller_id", ID, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False),
        sa.Column("list_id", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("explanation", DOCUMENT, nullable=False),
        sa.Column("first_seen_at", INSTANT, nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=False),
        sa.Column("screenings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_hits_booking_id_bookings")),
        sa.ForeignKeyConstraint(["flight_id"], ["flights.id"], name=op.f("fk_hits_flight_id_flights")),
        sa.ForeignKeyConstraint(
            ["traveller_id"], ["travellers.id"], name=op.f("fk_hits_traveller_id_travellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hits")),
        sa.UniqueConstraint(
            "kind",
            "booking_id",
            "traveller_key",
            "source_id",
            name=op.f("uq_hits_kind_booking_id_traveller_key_source_id"),
        ),
    )
    op.create_index(op.f("ix_hits_booking_id"), "hits", ["booking_id"], unique=False)
    op.create_index(op.f("ix_hits_flight_date"), "hits", ["flight_date"], unique=False)
    op.create_index(op.f("ix_hits_flight_id"), "hits", ["flight_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hits_flight_id"), table_name="hits")
    op.drop_index(op.f("ix_hits_flight_date"), table_name="hits")
    op.drop_index(op.f("ix_hits_booking_id"), table_name="hits")
    op.drop_table("hits")
    op.drop_index(op.f("ix_watchlist_entries_watchlist_id"), table_name="watchlist_entries")
    op.drop_table("watchlist_entries")
    op.drop_table("watchlists")
    op.drop_table("criteria")
