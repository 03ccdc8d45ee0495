"""``travellers`` loses its index on ``version_id`` alone (issue 4): the unique index on (version_id,
position) begins with the same column and serves every look-up by version, so the second index only cost
an entry per stored traveller (tens of thousands a minute at ingest).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_travellers_version_id"), table_name="travellers")


def downgrade() -> None:
    op.create_index(op.f("ix_travellers_version_id"), "travellers", ["version_id"], unique=False)
