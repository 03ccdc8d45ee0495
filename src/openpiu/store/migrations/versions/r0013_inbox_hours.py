"""The operations page shows the inbox's last 24 hours (messages received, stored and quarantined per
hour): the moves between states are found by their time.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_message_states_at"), "message_states", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_message_states_at"), table_name="message_states")
