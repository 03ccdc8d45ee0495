"""Split pushes, codeshare designators, bookings removed by a full push, API data, discarded counts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "discarded_messages",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "reason", name=op.f("pk_discarded_messages")),
    )
    op.create_table(
        "push_series",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("series_key", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_series")),
    )
    op.create_index("ix_push_series_key_state", "push_series", ["series_key", "state"], unique=False)
    op.create_index(op.f("ix_push_series_opened_at"), "push_series", ["opened_at"], unique=False)
    op.create_table(
        "push_parts",
        sa.Column("message_id", ID, autoincrement=False, nullable=False),
        sa.Column("series_id", ID, nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("added_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_push_parts_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["push_series.id"], name=op.f("fk_push_parts_series_id_push_series")
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_push_parts")),
    )
    op.create_index(op.f("ix_push_parts_series_id"), "push_parts", ["series_id"], unique=False)
    op.create_table(
        "flight_designators",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("flight_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("carrier", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("operating", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flights.id"], name=op.f("fk_flight_designators_flight_id_flights")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flight_designators")),
        sa.UniqueConstraint(
            "flight_id", "carrier", "number", name=op.f("uq_flight_designators_flight_id_carrier_number")
        ),
    )
    op.create_index(
        op.f("ix_flight_designators_flight_date"), "flight_designators", ["flight_date"], unique=False
    )
    op.create_index(
        op.f("ix_flight_designators_flight_id"), "flight_designators", ["flight_id"], unique=False
    )
    op.create_table(
        "passenger_lists",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("flight_id", ID, nullable=True),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("carrier", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("crew", sa.Boolean(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("stored_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flights.id"], name=op.f("fk_passenger_lists_flight_id_flights")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_passenger_lists_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passenger_lists")),
        sa.UniqueConstraint("message_id", name=op.f("uq_passenger_lists_message_id")),
    )
    op.create_index(op.f("ix_passenger_lists_flight_date"), "passenger_lists", ["flight_date"], unique=False)
    op.create_index(op.f("ix_passenger_lists_flight_id"), "passenger_lists", ["flight_id"], unique=False)
    op.create_table(
        "api_persons",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("list_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["passenger_lists.id"], name=op.f("fk_api_persons_list_id_passenger_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_persons")),
        sa.UniqueConstraint("list_id", "position", name=op.f("uq_api_persons_list_id_position")),
    )
    op.create_index(op.f("ix_api_persons_flight_date"), "api_persons", ["flight_date"], unique=False)
    op.create_index(op.f("ix_api_persons_list_id"), "api_persons", ["list_id"], unique=False)
    op.create_table(
        "booking_removals",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("flight_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("pushed_at", INSTANT, nullable=False),
        sa.Column("stored_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_removals_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flights.id"], name=op.f("fk_booking_removals_flight_id_flights")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_booking_removals_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_removals")),
        sa.UniqueConstraint(
            "booking_id", "message_id", name=op.f("uq_booking_removals_booking_id_message_id")
        ),
    )
    op.create_index(op.f("ix_booking_removals_booking_id"), "booking_removals", ["booking_id"], unique=False)
    op.create_index(
        op.f("ix_booking_removals_flight_date"), "booking_removals", ["flight_date"], unique=False
    )
    op.create_table(
        "api_person_identities",
        sa.Column("api_person_id", ID, autoincrement=False, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("surname_key", sa.Text(), nullable=True),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("masked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["api_person_id"],
            ["api_persons.id"],
            name=op.f("fk_api_person_identities_api_person_id_api_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("api_person_id", name=op.f("pk_api_person_identities")),
    )
    op.create_index(
        op.f("ix_api_person_identities_flight_date"), "api_person_identities", ["flight_date"], unique=False
    )
    op.create_index(
        op.f("ix_api_person_identities_surname_key"), "api_person_identities", ["surname_key"], unique=False
    )
    op.create_table(
        "api_matches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("api_person_id", ID, nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("traveller_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("explanation", DOCUMENT, nullable=False),
        sa.Column("matched_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["api_person_id"], ["api_persons.id"], name=op.f("fk_api_matches_api_person_id_api_persons")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_api_matches_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["traveller_id"], ["travellers.id"], name=op.f("fk_api_matches_traveller_id_travellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_matches")),
        sa.UniqueConstraint("api_person_id", name=op.f("uq_api_matches_api_person_id")),
    )
    op.create_index(op.f("ix_api_matches_booking_id"), "api_matches", ["booking_id"], unique=False)
    op.create_index(op.f("ix_api_matches_flight_date"), "api_matches", ["flight_date"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_matches_flight_date"), table_name="api_matches")
    op.drop_index(op.f("ix_api_matches_booking_id"), table_name="api_matches")
    op.drop_table("api_matches")
    op.drop_index(op.f("ix_api_person_identities_surname_key"), table_name="api_person_identities")
    op.drop_index(op.f("ix_api_person_identities_flight_date"), table_name="api_person_identities")
    op.drop_table("api_person_identities")
    op.drop_index(op.f("ix_booking_removals_flight_date"), table_name="booking_removals")
    op.drop_index(op.f("ix_booking_removals_booking_id"), table_name="booking_removals")
    op.drop_table("booking_removals")
    op.drop_index(op.f("ix_api_persons_list_id"), table_name="api_persons")
    op.drop_index(op.f("ix_api_persons_flight_date"), table_name="api_persons")
    op.drop_table("api_persons")
    op.drop_index(op.f("ix_passenger_lists_flight_id"), table_name="passenger_lists")
    op.drop_index(op.f("ix_passenger_lists_flight_date"), table_name="passenger_lists")
    op.drop_table("passenger_lists")
    op.drop_index(op.f("ix_flight_designators_flight_id"), table_name="flight_designators")
    op.drop_index(op.f("ix_flight_designators_flight_date"), table_name="flight_designators")
    op.drop_table("flight_designators")
    op.drop_index(op.f("ix_push_parts_series_id"), table_name="push_parts")
    op.drop_table("push_parts")
    op.drop_index(op.f("ix_push_series_opened_at"), table_name="push_series")
    op.drop_index("ix_push_series_key_state", table_name="push_series")
    op.drop_table("push_series")
    op.drop_table("discarded_messages")
