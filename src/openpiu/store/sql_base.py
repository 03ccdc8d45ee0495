"""What :class:`~openpiu.store.sql.SqlStore` gives the mixins it is made of (accounts, review, views,
transmissions, criteria drafts): its connections, its clock, the audit chain, and one way to run a
change together with its audit event.

A change and its audit event are one transaction; when another writer appended to the audit chain
meanwhile, the chain's unique constraints refuse the event, nothing is written, and the change is tried
again on top of that writer's event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from openpiu.store.protocols import AuditEvent, StoreError

__all__ = ["AUDIT_ATTEMPTS", "SqlBase", "array_text", "listed", "one_of", "pg_array", "rows_in"]

#: Tries at appending to the audit chain when other writers keep taking the next number.
AUDIT_ATTEMPTS = 20

T = TypeVar("T")


@cache
def _driver_sql(statement: str, array: str | None) -> str:
    return statement.format(values=f"= ANY(%s::{array})" if array else "IN (SELECT value FROM json_each(?))")


def rows_in(connection: Connection, statement: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``statement``, SQL text with ``{values}`` where a list of values goes, for ``values``
    (all strings or all integers), on the connection's transaction: run by the driver with the list as
    one parameter (SQLite: a JSON array read by ``json_each``; PostgreSQL: an array's text), so neither
    SQLAlchemy's compiler nor its expansion of thousands of values runs per call."""
    if not values:
        return []
    array = None
    if connection.dialect.name == "postgresql":
        parameter, array = pg_array(values)
    else:
        parameter = json.dumps(list(values))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_driver_sql(statement, array), (parameter,))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def one_of(column: sa.ColumnElement[Any], name: str, *, postgres: bool) -> sa.ColumnElement[bool]:
    """``column`` is one of the list of values bound at execution under ``name`` (give `listed`'s value).

    PostgreSQL: ``= ANY`` of one array parameter, sent as an array's text (see `pg_array`): one
    statement text whatever the number of values, which the driver and the server prepare once (an
    expanded ``IN`` of a few hundred parameters was a new statement each time, converted by the driver
    and planned by the server anew). Elsewhere, an ``IN`` expanded by SQLAlchemy."""
    if postgres:
        return column == sa.any_(sa.cast(sa.bindparam(name, type_=sa.Text()), postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def listed(connection: Connection, values: Sequence[str] | Sequence[int]) -> Any:
    """The value of a `one_of` parameter for ``values`` on ``connection``'s database."""
    if connection.dialect.name == "postgresql":
        return pg_array(values)[0] if values else "{}"
    return list(values)


def pg_array(values: Sequence[str] | Sequence[int]) -> tuple[str, str]:
    """A PostgreSQL array literal of ``values`` (not empty: all integers, or all strings), and its type.

    Sent as one text value that the server parses: the driver's dumping of a list looks at every element
    from Python (the type of each, then each one's text), which cost a writer a twentieth of its time on
    the evidence index's look-ups of thousands of digests."""
    if isinstance(values[0], int):
        return "{" + ",".join(map(str, values)) + "}", "bigint[]"
    strings: Sequence[str] = values  # type: ignore[assignment]
    text = '","'.join(strings)
    if "\\" in text or text.count('"') != 2 * (len(strings) - 1):  # a value with a quote or backslash
        text = '","'.join(map(_escaped, strings))
    return '{"' + text + '"}', "text[]"


def array_text(values: Sequence[Any]) -> Any:
    """Values of any of the kinds a bulk update carries (text, integers, booleans, instants, dates, None)
    as the text of a PostgreSQL array, for a cast to the column's array type (see `pg_array`); as they are
    (a list, for the driver) when one is of another kind."""
    items: list[str] = []
    for value in values:
        if value is None:
            items.append("NULL")
        elif isinstance(value, bool):
            items.append("t" if value else "f")
        elif isinstance(value, int):
            items.append(str(value))
        elif isinstance(value, str | datetime | date):
            items.append(f'"{_escaped(str(value))}"')  # an instant with its offset, a date as ISO
        else:
            return list(values)
    return "{" + ",".join(items) + "}"


def _escaped(text: str) -> str:
    """``text`` as it goes between the double quotes of an array element."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


class SqlBase:
    """The part of SqlStore its mixins build on."""

    if TYPE_CHECKING:  # provided by SqlStore

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _write_derived(self) -> AbstractContextManager[Connection]: ...

        def _now(self) -> datetime: ...

        @property
        def engine(self) -> Engine: ...

        def _append_event(
            self,
            connection: Connection,
            *,
            actor: str,
            action: str,
            subject: str,
            reason: str | None,
            details: dict[str, Any],
        ) -> AuditEvent: ...

    def _audited(self, work: Callable[[Connection], T], what: str) -> T:
        """``work`` in one writing transaction (it appends its audit event), retried when the audit chain
        moved on meanwhile; ``what`` names the change in the error when every attempt lost."""
        for _attempt in range(AUDIT_ATTEMPTS):
            try:
                with self._write() as connection:
                    return work(connection)
            except IntegrityError:
                continue  # another writer took the chain's next number: nothing was written, try again
        raise StoreError(f"could not record {what} after {AUDIT_ATTEMPTS} attempts")
