"""Follows on confirmed traveller identities (issue 7): the follow as it stands, and its append-only events.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in openpiu.store.schema as of this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("identity_ref", sa.BigInteger(), nullable=False),
        sa.Column("followed_by", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("review_at", INSTANT, nullable=False),
        sa.Column("ended_at", INSTANT, nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["identity_members.id"], name=op.f("fk_follows_member_id_identity_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
    )
    for column in ("member_id", "followed_by", "expires_at"):
        op.create_index(op.f(f"ix_follows_{column}"), "follows", [column], unique=False)
    op.create_table(
        "follow_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("follow_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["follow_id"], ["follows.id"], name=op.f("fk_follow_events_follow_id_follows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_events")),
    )
    op.create_index(op.f("ix_follow_events_follow_id"), "follow_events", ["follow_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_events_follow_id"), table_name="follow_events")
    op.drop_table("follow_events")
    for column in ("expires_at", "followed_by", "member_id"):
        op.drop_index(op.f(f"ix_follows_{column}"), table_name="follows")
    op.drop_table("follows")
