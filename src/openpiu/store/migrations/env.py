"""Alembic environment: runs on the connection :func:`openpiu.store.upgrade` hands over.

Run through ``openpiu.store.upgrade(url)`` (or ``openpiu db upgrade``), not the ``alembic`` command: the
connection, with the store's SQLite pragmas, comes in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from openpiu.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with openpiu.store.upgrade(url), which supplies the connection")

# SQLite cannot ALTER most things in place; batch mode rebuilds tables for later revisions.
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
