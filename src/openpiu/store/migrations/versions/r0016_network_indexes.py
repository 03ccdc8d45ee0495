"""Covering indexes for the network's reads (issue 7): a key's holders and who travels on which booking are
answered from the index alone, without reading the rows of millions of evidence keys and occurrences.

Each replaces a one-column index that is its prefix, so the writes cost about what they did.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, the one-column index replaced, the columns of the covering one)
_REPLACED = (
    ("identity_keys", "digest", ("digest", "identity_id", "booking_id")),
    ("identity_members", "booking_id", ("booking_id", "identity_id")),
    ("identity_members", "identity_id", ("identity_id", "booking_id")),
)


def upgrade() -> None:
    for table, column, columns in _REPLACED:
        op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def downgrade() -> None:
    for table, column, columns in reversed(_REPLACED):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
        op.drop_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table_name=table)
