"""The analyst's pages with a large database: the audit chain's head in a row of its own, and travellers'
identities indexed by surname, given names and date of birth.

Every page that shows personal data appends an audit event. Appending used to lock the chain's last event
and read it; a concurrent appender waited for that lock, then read the same last event, and lost on the
chain's unique constraints (its whole transaction tried again). Now each append updates the head row first,
so the next appender waits for that row and reads the head as the one before left it.

A traveller's other bookings are found by surname, given names and date of birth: a common surname has
thousands of identity rows, one person a few; the index on the surname alone is its prefix.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.execute(
        "INSERT INTO audit_head (id, seq, hash) "
        "SELECT 1, seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
    )
    op.execute(
        "INSERT INTO audit_head (id, seq, hash) "
        f"SELECT 1, 0, '{GENESIS_HASH}' WHERE NOT EXISTS (SELECT 1 FROM audit_head)"
    )
    op.create_index(
        "ix_traveller_identities_name",
        "traveller_identities",
        ["surname_key", "given_names", "date_of_birth"],
        unique=False,
    )
    op.drop_index(op.f("ix_traveller_identities_surname_key"), table_name="traveller_identities")


def downgrade() -> None:
    op.create_index(
        op.f("ix_traveller_identities_surname_key"), "traveller_identities", ["surname_key"], unique=False
    )
    op.drop_index("ix_traveller_identities_name", table_name="traveller_identities")
    op.drop_table("audit_head")
