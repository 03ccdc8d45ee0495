"""The evidence index (``identity_keys``) loses its foreign keys (issue 4): checking them was a third of
PostgreSQL's work while ingesting.

The index is derived: resolution writes a row per key of a booking's traveller, of an API person or of a
booking itself (eight for each traveller), and each row's three references were checked one by one, by a
trigger running a look-up and a row lock per reference (PostgreSQL's server time for 150 pushes: 4.7 s
with the checks, 3.7 s without). The rows still carry their identity, booking, API person and flight
date; merges, splits and deletion by age rewrite or remove them by those columns, and the store's contract
suite checks that none is left pointing at nothing (`test_contract_identities`).

On SQLite the table is copied once without the constraints (SQLite cannot drop a constraint in place).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFERENCES = (
    ("fk_identity_keys_identity_id_identities", "identity_id", "identities"),
    ("fk_identity_keys_booking_id_bookings", "booking_id", "bookings"),
    ("fk_identity_keys_api_person_id_api_persons", "api_person_id", "api_persons"),
)


def upgrade() -> None:
    with op.batch_alter_table("identity_keys") as batch:
        for name, _, _ in _REFERENCES:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("identity_keys") as batch:
        for name, column, table in _REFERENCES:
            batch.create_foreign_key(name, table, [column], ["id"])
