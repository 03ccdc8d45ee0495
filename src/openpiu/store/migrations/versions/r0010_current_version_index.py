"""An index on each booking's current version: the current travellers of a flight or of a name are found
by joining their version to it, which without the index read every booking.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_bookings_current_version_id"), "bookings", ["current_version_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bookings_current_version_id"), table_name="bookings")
