"""On PostgreSQL, the references of the rows written for every booking record, traveller and API person
are no longer checked by the server (issue 4): a quarter of its work while ingesting.

PostgreSQL checks a foreign key with a trigger per inserted row and reference, which looks the parent
up and locks it: 16 references, about 400,000 checks for 23,600 booking records, took 3.4-4.0 s of the
server's 13-18 s. Those rows (versions, travellers, the identifying parts, identity members, API persons
and their merges) are written with their parents by the store in one transaction, and the ids they
carry are the ones it has just written or read. What the server no longer checks, ``openpiu db check``
does (``Store.dangling_references``), and the store's contract suite checks after every kind of write.

SQLite keeps these keys: its checks cost little, and it cannot drop a constraint without copying the
table, which would delete the rows of the tables that cascade from it. The schema's metadata keeps them
too (they document the references, and SQLAlchemy joins by them).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table, on delete); the constraint's name follows the schema's convention.
_REFERENCES = (
    ("booking_versions", "booking_id", "bookings", None),
    ("booking_versions", "flight_id", "flights", None),
    ("booking_versions", "message_id", "messages", None),
    ("booking_identities", "version_id", "booking_versions", "CASCADE"),
    ("travellers", "booking_id", "bookings", None),
    ("travellers", "version_id", "booking_versions", "CASCADE"),
    ("traveller_identities", "traveller_id", "travellers", "CASCADE"),
    ("identity_members", "identity_id", "identities", None),
    ("identity_members", "traveller_id", "travellers", None),
    ("identity_members", "api_person_id", "api_persons", None),
    ("identity_members", "booking_id", "bookings", None),
    ("api_persons", "list_id", "passenger_lists", None),
    ("api_person_identities", "api_person_id", "api_persons", "CASCADE"),
    ("api_matches", "api_person_id", "api_persons", None),
    ("api_matches", "booking_id", "bookings", None),
    ("api_matches", "traveller_id", "travellers", None),
)


def _name(table: str, column: str, target: str) -> str:
    return f"fk_{table}_{column}_{target}"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, target, _ in _REFERENCES:
        op.drop_constraint(_name(table, column, target), table, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, target, on_delete in _REFERENCES:
        op.create_foreign_key(
            _name(table, column, target), table, target, [column], ["id"], ondelete=on_delete
        )
