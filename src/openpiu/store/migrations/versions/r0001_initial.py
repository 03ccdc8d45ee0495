"""The initial schema: inbox, flights and bookings with separable identities, audit.

Revision ID: 0001
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", ID, autoincrement=False, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", DOCUMENT, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_table(
        "messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("last_received_at", INSTANT, nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("state_changed_at", INSTANT, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_messages_content_hash")),
    )
    op.create_index(op.f("ix_messages_flight_date"), "messages", ["flight_date"], unique=False)
    op.create_index(op.f("ix_messages_received_at"), "messages", ["received_at"], unique=False)
    op.create_index(op.f("ix_messages_state"), "messages", ["state"], unique=False)
    op.create_table(
        "flights",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("carrier", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=True),
        sa.Column("departure_utc", INSTANT, nullable=True),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("push_count", sa.Integer(), nullable=False),
        sa.Column("first_message_id", ID, nullable=False),
        sa.Column("last_message_id", ID, nullable=False),
        sa.Column("last_pushed_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["first_message_id"], ["messages.id"], name=op.f("fk_flights_first_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["last_message_id"], ["messages.id"], name=op.f("fk_flights_last_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flights")),
        sa.UniqueConstraint(
            "carrier",
            "number",
            "flight_date",
            "origin",
            name=op.f("uq_flights_carrier_number_flight_date_origin"),
        ),
    )
    op.create_index(op.f("ix_flights_flight_date"), "flights", ["flight_date"], unique=False)
    op.create_table(
        "message_bodies",
        sa.Column("message_id", ID, autoincrement=False, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("masked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_bodies_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_bodies")),
    )
    op.create_table(
        "message_states",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_states_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_states")),
    )
    op.create_index(op.f("ix_message_states_message_id"), "message_states", ["message_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("flight_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("booking_key", sa.Text(), nullable=False),
        sa.Column("locator", sa.Text(), nullable=True),
        sa.Column("current_version_id", ID, nullable=True),
        sa.Column("current_pushed_at", INSTANT, nullable=True),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["flight_id"], ["flights.id"], name=op.f("fk_bookings_flight_id_flights")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("flight_id", "booking_key", name=op.f("uq_bookings_flight_id_booking_key")),
    )
    op.create_index(op.f("ix_bookings_flight_date"), "bookings", ["flight_date"], unique=False)
    op.create_index(op.f("ix_bookings_locator"), "bookings", ["locator"], unique=False)
    op.create_table(
        "booking_versions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("flight_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("part", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("function", sa.Text(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("locator", sa.Text(), nullable=True),
        sa.Column("pushed_at", INSTANT, nullable=False),
        sa.Column("stored_at", INSTANT, nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_versions_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flights.id"], name=op.f("fk_booking_versions_flight_id_flights")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_booking_versions_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_versions")),
        sa.UniqueConstraint("booking_id", "version", name=op.f("uq_booking_versions_booking_id_version")),
        sa.UniqueConstraint("message_id", "position", name=op.f("uq_booking_versions_message_id_position")),
    )
    op.create_index(
        op.f("ix_booking_versions_flight_date"), "booking_versions", ["flight_date"], unique=False
    )
    op.create_table(
        "booking_identities",
        sa.Column("version_id", ID, autoincrement=False, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("masked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["booking_versions.id"],
            name=op.f("fk_booking_identities_version_id_booking_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_booking_identities")),
    )
    op.create_index(
        op.f("ix_booking_identities_flight_date"), "booking_identities", ["flight_date"], unique=False
    )
    op.create_table(
        "travellers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_travellers_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["booking_versions.id"],
            name=op.f("fk_travellers_version_id_booking_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travellers")),
        sa.UniqueConstraint("version_id", "position", name=op.f("uq_travellers_version_id_position")),
    )
    op.create_index(op.f("ix_travellers_booking_id"), "travellers", ["booking_id"], unique=False)
    op.create_index(op.f("ix_travellers_flight_date"), "travellers", ["flight_date"], unique=False)
    op.create_index(op.f("ix_travellers_version_id"), "travellers", ["version_id"], unique=False)
    op.create_table(
        "traveller_identities",
        sa.Column("traveller_id", ID, autoincrement=False, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("surname", sa.Text(), nullable=True),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("surname_key", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("record", DOCUMENT, nullable=False),
        sa.Column("masked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["traveller_id"],
            ["travellers.id"],
            name=op.f("fk_traveller_identities_traveller_id_travellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("traveller_id", name=op.f("pk_traveller_identities")),
    )
    op.create_index(
        op.f("ix_traveller_identities_flight_date"), "traveller_identities", ["flight_date"], unique=False
    )
    op.create_index(
        op.f("ix_traveller_identities_surname_key"), "traveller_identities", ["surname_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_traveller_identities_surname_key"), table_name="traveller_identities")
    op.drop_index(op.f("ix_traveller_identities_flight_date"), table_name="traveller_identities")
    op.drop_table("traveller_identities")
    op.drop_index(op.f("ix_travellers_version_id"), table_name="travellers")
    op.drop_index(op.f("ix_travellers_flight_date"), table_name="travellers")
    op.drop_index(op.f("ix_travellers_booking_id"), table_name="travellers")
    op.drop_table("travellers")
    op.drop_index(op.f("ix_booking_identities_flight_date"), table_name="booking_identities")
    op.drop_table("booking_identities")
    op.drop_index(op.f("ix_booking_versions_flight_date"), table_name="booking_versions")
    op.drop_table("booking_versions")
    op.drop_index(op.f("ix_bookings_locator"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_flight_date"), table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_message_states_message_id"), table_name="message_states")
    op.drop_table("message_states")
    op.drop_table("message_bodies")
    op.drop_index(op.f("ix_flights_flight_date"), table_name="flights")
    op.drop_table("flights")
    op.drop_index(op.f("ix_messages_state"), table_name="messages")
    op.drop_index(op.f("ix_messages_received_at"), table_name="messages")
    op.drop_index(op.f("ix_messages_flight_date"), table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
