"""An id-free snapshot of a database: what two ingest runs of the same messages must agree on.

Every table of :data:`openpiu.store.schema.metadata` (iterated, never listed: tables are added as the store
grows) becomes a sorted multiset of rows, each row a JSON text of its columns, with:

- **surrogate ids dropped**: integer columns named ``id``, ``seq`` or ending in ``_id`` are numbers a run
  hands out (a killed PostgreSQL transaction burns sequence values; a different delivery order numbers
  rows differently);
- **references resolved instead of dropped**: a surrogate column that references another table (a foreign
  key, or one of :data:`EXTRA_REFERENCES`) is replaced by the natural key of the row it points to (the
  values of that table's unique constraints, themselves resolved; the referenced row's content when the
  table has no usable unique constraint). So ``booking_versions.message_id`` becomes the message's content
  hash and ``bookings.current_version_id`` says *which* version is current (message and position), which
  is what a delivery-order test is about;
- **run instants dropped**: columns of type ``UtcDateTime`` say when this run did something (received,
  changed state, stored, updated, matched, masked, audited) and differ between any two runs, except the
  instants that come from the messages themselves (:data:`CONTENT_INSTANTS`), which are kept;
- **the audit chain's hashes dropped** (:data:`EXCLUDED`): each covers its event's time, so they differ
  whenever the times do; the events themselves (actor, action, subject, reason, details) are kept.

Everything else is kept: content hashes, sizes, senders, states, reasons, locators, booking keys, versions,
counts, flags and the JSON records. Ids written into text (:data:`EMBEDDED_IDS`) are rewritten to the
natural key they name. Raw bytes are shown as their SHA-256 and length (equal bytes, equal text).

Tables or columns of the metadata that the database lacks (a migration not written yet) are left out:
the migration tests (tests/store) are the ones to say so.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa

from openpiu.store.schema import UtcDateTime, metadata

__all__ = [
    "CONTENT_INSTANTS",
    "EMBEDDED_IDS",
    "EXCLUDED",
    "EXTRA_REFERENCES",
    "Snapshot",
    "differences",
    "read_rows",
    "snapshot",
]

#: One table: its rows as JSON texts, sorted (a multiset: equal rows are all kept).
Snapshot = dict[str, list[str]]

#: Instants read from the messages, not from the clock: the same in every run of the same messages.
#: (The store falls back to the receipt time when a push has no preparation time; every generated push
#: has one, so a difference here is a real one.)
CONTENT_INSTANTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("flights", "departure_utc"),  # the schedule
        ("flights", "last_pushed_at"),  # preparation time of the push that gave the flight record
        ("bookings", "current_pushed_at"),  # preparation time of the current version's push
        ("booking_versions", "pushed_at"),  # preparation time of the version's push
        ("booking_removals", "pushed_at"),  # preparation time of the push that left the booking out
    }
)

#: Columns left out although they are neither ids nor instants: the audit chain's hashes cover the events'
#: times (``at``), which differ between runs, so the hashes differ too.
EXCLUDED: frozenset[tuple[str, str]] = frozenset({("audit_events", "prev_hash"), ("audit_events", "hash")})

#: Surrogate columns that reference a table without a foreign key (which would make a cycle).
EXTRA_REFERENCES: Mapping[tuple[str, str], str] = {("bookings", "current_version_id"): "booking_versions"}

#: Ids written into text: (table, column, pattern whose group 1 is an id, the table it is an id of).
EMBEDDED_IDS: tuple[tuple[str, str, re.Pattern[str], str], ...] = (
    # a booking without a locator is keyed by its message and position: "~<message id>/<position>"
    ("bookings", "booking_key", re.compile(r"^~(\d+)/"), "messages"),
    # the pipeline's audit events name their message: "message <id>"
    ("audit_events", "subject", re.compile(r"\bmessage (\d+)\b"), "messages"),
)

_SURROGATE_NAMES = frozenset({"id", "seq"})


def _is_surrogate(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.Integer) and (
        column.name in _SURROGATE_NAMES or column.name.endswith("_id")
    )


def _is_run_instant(table: str, column: sa.Column[Any]) -> bool:
    return isinstance(column.type, UtcDateTime) and (table, column.name) not in CONTENT_INSTANTS


def _reference(table: str, column: sa.Column[Any]) -> tuple[str, str] | None:
    """The (table, column) a surrogate column points to, if any."""
    for fk in column.foreign_keys:
        return fk.column.table.name, fk.column.name
    target = EXTRA_REFERENCES.get((table, column.name))
    return (target, "id") if target else None


def read_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every metadata table the database has, as dicts of the columns it has."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        present = set(inspector.get_table_names())
        rows: dict[str, list[dict[str, Any]]] = {}
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                if table.name not in present:
                    continue
                have = {c["name"] for c in inspector.get_columns(table.name)}
                columns = [c for c in table.columns if c.name in have]
                result = connection.execute(sa.select(*columns))
                rows[table.name] = [dict(row._mapping) for row in result]
        return rows
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    """A JSON-able form of a column value."""
    if value is None or isinstance(value, str | int | float):
        return value  # most values: checked first, a snapshot converts hundreds of thousands of them
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return f"sha256:{hashlib.sha256(value).hexdigest()} ({len(value)} bytes)"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


#: How one kept column of a table enters the snapshot: its name, the (table, column) it references (a
#: surrogate column, replaced by the natural key it names) or None (its value, made plain), and the patterns
#: of ids written into its text, each with the table the ids are of.
_Plan = list[tuple[str, tuple[str, str] | None, list[tuple[re.Pattern[str], str]]]]


class _Resolver:
    """Rows of :func:`read_rows` (every row of a table has the same columns) made id-free.

    Which columns a table keeps, and which of them make its natural key, are worked out once per table:
    a snapshot looks at every row, and the crash tests take dozens of snapshots."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]], ignore: Mapping[str, Collection[str]]) -> None:
        self.rows = rows
        self.ignore = {table: set(columns) for table, columns in ignore.items()}
        self.tables = {t.name: t for t in metadata.sorted_tables if t.name in rows}
        self._index: dict[tuple[str, str], dict[Any, dict[str, Any]]] = {}
        self._keys: dict[tuple[str, str, Any], Any] = {}
        self._resolving: set[tuple[str, str, Any]] = set()
        self._plans: dict[str, _Plan] = {}
        self._key_names: dict[str, list[str]] = {}

    def kept(self, table: sa.Table, column: sa.Column[Any]) -> bool:
        """Whether the column is part of the snapshot (as its value or as the key it references)."""
        name = column.name
        if name in self.ignore.get(table.name, ()) or (table.name, name) in EXCLUDED:
            return False
        if _is_run_instant(table.name, column):
            return False
        if _is_surrogate(column):
            ref = _reference(table.name, column)
            return ref is not None and ref[0] in self.tables
        return True

    def _plan(self, table: sa.Table) -> _Plan:
        plan = self._plans.get(table.name)
        if plan is None:
            plan = [
                (
                    column.name,
                    _reference(table.name, column) if _is_surrogate(column) else None,
                    [
                        (pattern, target)
                        for t, c, pattern, target in EMBEDDED_IDS
                        if (t, c) == (table.name, column.name) and target in self.tables
                    ],
                )
                for column in table.columns
                if self.kept(table, column)
            ]
            self._plans[table.name] = plan
        return plan

    def content(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
        """The row's kept columns, references resolved, embedded ids rewritten."""
        out: dict[str, Any] = {}
        for name, ref, embedded in self._plan(table):
            if name not in row:
                continue
            value = row[name]
            if ref is not None:
                value = None if value is None else self.key(ref[0], ref[1], value)
            else:
                value = _plain(value)
                if embedded and isinstance(value, str):
                    value = self._rewrite(embedded, value)
            out[name] = value
        return out

    def _rewrite(self, embedded: list[tuple[re.Pattern[str], str]], value: str) -> str:
        for pattern, target in embedded:

            def named(match: re.Match[str], target: str = target) -> str:
                key = self.key(target, "id", int(match.group(1)))
                text = key if isinstance(key, str) else json.dumps(key, sort_keys=True)
                return match.group(0).replace(match.group(1), f"<{text}>")

            value = pattern.sub(named, value)
        return value

    def key(self, table_name: str, column_name: str, value: Any) -> Any:
        """The natural key of the row of `table_name` whose `column_name` is `value`."""
        memo = (table_name, column_name, value)
        if memo in self._keys:
            return self._keys[memo]
        index = self._index.get((table_name, column_name))
        if index is None:
            index = {row[column_name]: row for row in self.rows[table_name]}
            self._index[(table_name, column_name)] = index
        row = index.get(value)
        if row is None:
            return f"<missing {table_name}.{column_name}={value}>"
        if memo in self._resolving:
            return f"<cycle {table_name}>"
        self._resolving.add(memo)
        try:
            key = self._natural_key(self.tables[table_name], row)
        finally:
            self._resolving.discard(memo)
        self._keys[memo] = key
        return key

    def _natural_key(self, table: sa.Table, row: dict[str, Any]) -> Any:
        """The values of the table's usable unique constraints (one column alone: its bare value)."""
        names = self._key_names.get(table.name)
        if names is None:
            names = self._key_names[table.name] = self._key_columns(table, row)
        content = self.content(table, row)
        if not names:
            return content  # no natural key: the row's content says which row it is
        if len(names) == 1:
            return content[names[0]]
        return {name: content[name] for name in names}

    def _key_columns(self, table: sa.Table, row: dict[str, Any]) -> list[str]:
        """The sorted names of the columns of the table's usable unique constraints (the same for every
        row: all have the same columns)."""
        constraints: list[list[sa.Column[Any]]] = []
        for constraint in table.constraints:
            if isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint):
                constraints.append(list(constraint.columns))
        for index in table.indexes:
            partial = any(k.endswith("_where") and v is not None for k, v in index.dialect_kwargs.items())
            if index.unique and not partial:  # a partial unique index is no key of every row
                constraints.append([c for c in index.columns if isinstance(c, sa.Column)])
        names: set[str] = set()
        for columns in constraints:
            if columns and all(c.name in row and self.kept(table, c) for c in columns):
                names.update(c.name for c in columns)
        return sorted(names)


def snapshot(url: str, *, ignore: Mapping[str, Collection[str]] | None = None) -> Snapshot:
    """The id-free snapshot of the database at `url`; `ignore` drops more columns (table -> names),
    from the rows and from the natural keys that name them."""
    rows = read_rows(url)
    resolver = _Resolver(rows, ignore or {})
    return {
        name: sorted(
            json.dumps(resolver.content(table, row), sort_keys=True, ensure_ascii=False) for row in rows[name]
        )
        for name, table in resolver.tables.items()
    }


def differences(expected: Snapshot, actual: Snapshot, *, limit: int = 5) -> str:
    """What differs, table by table: rows only in `expected` (-) and only in `actual` (+), a few each."""
    lines: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        want, got = Counter(expected.get(name, [])), Counter(actual.get(name, []))
        missing, extra = want - got, got - want
        if not missing and not extra:
            continue
        lines.append(
            f"{name}: {sum(want.values())} rows expected, {sum(got.values())} found; "
            f"{sum(missing.values())} missing, {sum(extra.values())} unexpected"
        )
        lines.extend(f"  - {row[:600]}" for row in sorted(missing.elements())[:limit])
        lines.extend(f"  + {row[:600]}" for row in sorted(extra.elements())[:limit])
    return "\n".join(lines) or "no difference"
