"""Traveller identities (issue 7): identities, the occurrences that belong to each and why, the index of
evidence keys (digests, never clear text), analysts' judgements; and the name each message arrived under.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("messages", sa.Column("source", sa.Text(), nullable=True))
    op.create_table(
        "identities",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("anchor", name=op.f("uq_identities_anchor")),
    )
    op.create_table(
        "identity_members",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("identity_id", ID, nullable=False),
        sa.Column("traveller_id", ID, nullable=True),
        sa.Column("api_person_id", ID, nullable=True),
        sa.Column("booking_id", ID, nullable=True),
        sa.Column("chain", sa.String(length=32), nullable=True),
        sa.Column("signature", sa.String(length=16), nullable=True),
        sa.Column("booking_signature", sa.String(length=16), nullable=True),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", DOCUMENT, nullable=False),
        sa.Column("assigned_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "(traveller_id IS NULL) <> (api_person_id IS NULL)",
            name=op.f("ck_identity_members_one_occurrence"),
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"], ["identities.id"], name=op.f("fk_identity_members_identity_id_identities")
        ),
        sa.ForeignKeyConstraint(
            ["traveller_id"], ["travellers.id"], name=op.f("fk_identity_members_traveller_id_travellers")
        ),
        sa.ForeignKeyConstraint(
            ["api_person_id"], ["api_persons.id"], name=op.f("fk_identity_members_api_person_id_api_persons")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_identity_members_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_members")),
        sa.UniqueConstraint("traveller_id", name=op.f("uq_identity_members_traveller_id")),
        sa.UniqueConstraint("api_person_id", name=op.f("uq_identity_members_api_person_id")),
    )
    for column in ("identity_id", "booking_id", "flight_date"):
        op.create_index(op.f(f"ix_identity_members_{column}"), "identity_members", [column], unique=False)
    op.create_table(
        "identity_keys",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("birth", sa.String(length=17), nullable=True),
        sa.Column("identity_id", ID, nullable=True),
        sa.Column("booking_id", ID, nullable=True),
        sa.Column("chain", sa.String(length=32), nullable=True),
        sa.Column("api_person_id", ID, nullable=True),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"], ["identities.id"], name=op.f("fk_identity_keys_identity_id_identities")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_identity_keys_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["api_person_id"], ["api_persons.id"], name=op.f("fk_identity_keys_api_person_id_api_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_keys")),
    )
    for column in ("digest", "identity_id", "booking_id", "flight_date"):
        op.create_index(op.f(f"ix_identity_keys_{column}"), "identity_keys", [column], unique=False)
    op.create_table(
        "identity_judgements",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("first_member_id", ID, nullable=False),
        sa.Column("second_member_id", ID, nullable=False),
        sa.Column("identity_ref", sa.BigInteger(), nullable=False),
        sa.Column("other_ref", sa.BigInteger(), nullable=False),
        sa.Column("occurrences", DOCUMENT, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", INSTANT, nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_member_id"],
            ["identity_members.id"],
            name=op.f("fk_identity_judgements_first_member_id_identity_members"),
        ),
        sa.ForeignKeyConstraint(
            ["second_member_id"],
            ["identity_members.id"],
            name=op.f("fk_identity_judgements_second_member_id_identity_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_judgements")),
    )
    for column in ("first_member_id", "second_member_id", "flight_date"):
        op.create_index(
            op.f(f"ix_identity_judgements_{column}"), "identity_judgements", [column], unique=False
        )


def downgrade() -> None:
    for table in ("identity_judgements", "identity_keys", "identity_members", "identities"):
        op.drop_table(table)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("source")
