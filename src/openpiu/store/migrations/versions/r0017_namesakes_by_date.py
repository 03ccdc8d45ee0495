"""A traveller's namesakes newest first (issue 7): the name index gains the flight date and the traveller,
so the traveller's page reads its twenty most recent other bookings from the index in order and stops,
instead of reading and sorting every occurrence of a frequent traveller's name (hundreds to thousands at
ten million occurrences).

It replaces the index on (surname, given names, date of birth), which is its prefix, so surname search
and the writes cost about what they did.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = ("surname_key", "given_names", "date_of_birth")


def upgrade() -> None:
    op.create_index(
        "ix_traveller_identities_name_date",
        "traveller_identities",
        [*_NAME, "flight_date", "traveller_id"],
        unique=False,
    )
    op.drop_index("ix_traveller_identities_name", table_name="traveller_identities")


def downgrade() -> None:
    op.create_index("ix_traveller_identities_name", "traveller_identities", list(_NAME), unique=False)
    op.drop_index("ix_traveller_identities_name_date", table_name="traveller_identities")
