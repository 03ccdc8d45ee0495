"""The SQL store on SQLAlchemy Core: SQLite (embedded default) and PostgreSQL (production).

One class implements the whole :class:`~openpiu.store.protocols.Store` contract with the same statements on
both backends; where they differ (``INSERT ... ON CONFLICT``, row locks) SQLAlchemy's dialect constructs
are used, and SQLite's single writer is honoured by starting every writing transaction with
``BEGIN IMMEDIATE`` (so two writers queue on the busy timeout instead of failing on a lock upgrade).

Concurrency rules, so that re-delivery and retries are idempotent:

- a message is unique by content hash; a concurrent second insert of the same bytes becomes a counted
  re-delivery (``ON CONFLICT DO NOTHING`` then an increment);
- storing a push locks its message row, then its flight row: a message stored once is recognised by its
  ``flight_date`` mark and not stored again, and version numbers of a flight's bookings are assigned by
  one transaction at a time;
- audit events are numbered by the writer; a race loses on the primary key (or on the unique
  ``prev_hash``, which makes a fork impossible) and is retried.

Durability: a receipt (``receive``) and everything a person does commit synchronously; the steps of a
message after its receipt, which processing it again gives again, do not wait for the disk (see
``_write_derived``). The rows of a push go in by the driver's bulk path, with their ids taken first
(``_new_ids``, ``_bulk_insert``).

Logs name message, flight and booking ids and counts, never personal data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row

from openpiu.clock import Clock
from openpiu.model import (
    Booking,
    Flight,
    Hit,
    PartialDate,
    PassengerList,
    PnrPush,
    Watchlist,
    WatchlistEntry,
)
from openpiu.store import schema as t
from openpiu.store.codec import (
    EncodedBooking,
    EncodedPush,
    api_person_from_parts,
    dumps,
    encode_booking,
    from_json,
    join_booking,
    loads,
    split_api_person,
    to_json,
    traveller_from_parts,
)
from openpiu.store.protocols import (
    TRANSITIONS,
    ApiCounts,
    ApiMatch,
    AuditCheck,
    AuditEvent,
    AuditQuery,
    BookingCounts,
    BookingVersion,
    CriterionSpec,
    HitCounts,
    InboxHour,
    InboxMessage,
    InvalidTransition,
    MessageCounts,
    MessageState,
    NotFound,
    PushResult,
    Receipt,
    SeriesState,
    StateChange,
    Store,
    StoredApiPerson,
    StoredBooking,
    StoredFlight,
    StoredHit,
    StoredList,
    StoredTraveller,
    StoredWatchlist,
    StoreError,
    UnstorablePush,
)
from openpiu.store.sql_accounts import SqlAccounts
from openpiu.store.sql_base import array_text, listed, one_of
from openpiu.store.sql_drafts import DraftsMixin, activate_in
from openpiu.store.sql_follows import FollowsMixin, HistoriesMixin
from openpiu.store.sql_identities import IdentitiesMixin
from openpiu.store.sql_review import ReviewMixin, criterion_spec, stored_hit
from openpiu.store.sql_transmissions import TransmissionsMixin
from openpiu.store.sql_views import ViewsMixin, stored_flight

__all__ = ["SqlStore", "create_engine", "open_store", "upgrade"]

_log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE = "openpiu_write"  # execution option: this connection writes (SQLite: BEGIN IMMEDIATE)
#: Execution option: this transaction writes only what the kept messages give again, so its commit need
#: not wait for the disk (see `SqlStore._write_derived`).
_DERIVED = "openpiu_derived"
#: Pages of SQLite's write-ahead log between two automatic checkpoints (4 kB each).
_CHECKPOINT_PAGES = 100_000
#: MSG function of a full push: every booking on the flight (141 is an update: only what changed).
FULL_PUSH = "22"

#: (table, index) that a network's every hop and a journey page read at random (`prewarm`): who holds a
#: contact, card or agency; who travels on which booking; a booking's own keys; the bookings.
_HOT_INDEXES = (
    ("identity_keys", "ix_identity_keys_digest_identity_id_booking_id"),
    ("identity_keys", "ix_identity_keys_booking_id"),
    ("identity_members", "ix_identity_members_identity_id_booking_id"),
    ("identity_members", "ix_identity_members_booking_id_identity_id"),
    ("bookings", "bookings"),  # the table itself
)


def server_session(connection: Any, errors: type[Exception] | tuple[type[Exception], ...]) -> None:
    """What openpiu sets in each of its PostgreSQL sessions (``connection``: the driver's; ``errors``:
    the driver's error class)."""
    # Every statement here reads or writes a few rows by an index. On a table still without statistics
    # (a new database, its first minute) the planner's guesses are large enough to compile a statement
    # to machine code, which took 100-150 ms where running it took 1.
    connection.execute("SET jit = off")
    connection.commit()
    # Documents over 2 kB (a booking's, a traveller's) are compressed as they are stored: lz4 does it
    # several times faster than the default, pglz (3.6 % of the server's CPU at ingest), and reads them
    # back faster too. A server before 14, or built without lz4, refuses it and keeps pglz.
    try:
        connection.execute("SET default_toast_compression = lz4")
        connection.commit()
    except errors:
        connection.rollback()


def create_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite: the folder created, WAL, foreign keys, a busy timeout."""
    parsed = sa.make_url(url)
    # Every page reads JSON documents (a flight's manifest hundreds): orjson reads them several times faster.
    if parsed.get_backend_name() != "sqlite":
        server = sa.create_engine(
            parsed, json_serializer=_fast_dumps, json_deserializer=loads, pool_pre_ping=True
        )

        @sa.event.listens_for(server, "connect")
        def _session(dbapi_connection: Any, _record: Any) -> None:
            server_session(dbapi_connection, server.dialect.loaded_dbapi.Error)

        return server
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, json_serializer=_fast_dumps, json_deserializer=loads)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off: "begin" below decides the kind of BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Storing a message writes a few MB of pages (its rows land all over the indexes): with SQLite's
        # defaults (a 2 MB cache, a checkpoint every 1000 pages) nearly every commit re-read index pages
        # and waited for a checkpoint of the log to the disk. The connection keeps up to 64 MB of pages
        # (more gave next to nothing). A checkpoint comes every 100,000 pages of log (about 400 MB): each
        # one copies the latest version of every page it covers into the database and waits for the disk
        # to have them, and the indexes' pages written again and again between two checkpoints are copied
        # once. At every 10,000 pages this was a sixth of the ingest's time on a database of a few GB
        # (see docs/benchmarks.md); the log file stays that large while the database is open.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        immediate = options.get(_WRITE, False)
        # Under WAL, NORMAL syncs at checkpoints instead of at every commit: a commit survives a crash of
        # the process, not a power cut. FULL (the default) for everything else. Set only on a change.
        synchronous = "NORMAL" if immediate and options.get(_DERIVED, False) else "FULL"
        info = connection.connection.info
        if info.get(_DERIVED) != synchronous:
            connection.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
            info[_DERIVED] = synchronous
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (by default the newest) with the Alembic migrations."""
    engine = create_engine(url)
    try:
        with engine.execution_options(**{_WRITE: True}).begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    finally:
        engine.dispose()
    _log.info("database upgraded to %s", revision)


def _check_revision(engine: Engine) -> None:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(_alembic_config(connection)).get_current_head()
    if current != head:
        raise StoreError(
            f"the database schema is at revision {current or 'none'}, this version needs {head}: "
            "run `openpiu db upgrade` (openpiu.store.upgrade)"
        )


def open_store(url: str, *, clock: Clock) -> Store:
    """The store at ``url``, whose schema must be up to date (see :func:`upgrade`)."""
    engine = create_engine(url)
    try:
        _check_revision(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine, clock=clock)


_SQLITE_TURNS: dict[str, threading.RLock] = {}
_SQLITE_TURNS_LOCK = threading.Lock()


def _sqlite_write_turn(engine: Engine) -> threading.RLock:
    """The lock this process's writers to the engine's SQLite file take turns on (one per file)."""
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return threading.RLock()  # a database of its own: nothing to share
    key = str(Path(database).expanduser().resolve())
    with _SQLITE_TURNS_LOCK:
        return _SQLITE_TURNS.setdefault(key, threading.RLock())


def _dumps(value: Any) -> str:
    """Strict JSON (no dates, no other Python objects): what callers' audit details must be."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _fast_dumps(value: Any) -> str:
    """The documents the store writes (the codec's output: plain JSON values), several times faster."""
    return dumps(value)


def _insert(connection: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


#: Ids a PostgreSQL connection takes from a sequence at a time (see `_new_ids`).
_ID_BLOCK = 1024
# The sequence is looked up once (OFFSET 0 keeps the subquery from being folded into the outer one): called
# per row, pg_get_serial_sequence searched the catalogue for each of the 1,024 ids, about 4 µs apiece.
_TAKE_IDS = (
    "SELECT nextval(sequence.id) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS id OFFSET 0)"
    " AS sequence, generate_series(1, %s)"
)


def _new_ids(connection: Connection, table: sa.Table, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, taken before inserting them.

    With the ids known, many rows go in as one plain executemany: an INSERT ... RETURNING of many rows
    whose ids must come back in order is run one row at a time on SQLite (and in sorted batches on
    PostgreSQL), which was most of the cost of storing a push. SQLite: the next rowids, safe because the
    caller's transaction began IMMEDIATE (the only writer) and the table has no AUTOINCREMENT (so these
    are the ids SQLite itself would have given). PostgreSQL: the column's own sequence, as a default would,
    a block at a time kept with the connection (a round trip for every table of every push was a tenth of
    a writer's waits); ids a connection took and did not use are gaps, as after any rolled-back insert.
    """
    if count <= 0:
        return []
    # By the driver: SQLAlchemy's compiling and caching of these small statements cost more than running
    # them (several per message).
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        reserved: dict[str, list[int]] = connection.connection.info.setdefault("openpiu_ids", {})
        # by the table's name as this connection's search path finds it (schemas differ between databases)
        taken = reserved.setdefault(table.name, [])
        if len(taken) < count:
            with driver.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(_TAKE_IDS, (table.name, max(count - len(taken), _ID_BLOCK)))
                taken.extend(row[0] for row in cursor.fetchall())
            taken.sort(reverse=True)  # the smallest last: handed out in increasing order
        return [taken.pop() for _ in range(count)]
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"SELECT max(id) FROM {connection.dialect.identifier_preparer.format_table(table)}")
        last = cursor.fetchone()[0] or 0
    finally:
        cursor.close()
    return list(range(last + 1, last + 1 + count))


def _bulk_insert(
    connection: Connection, table: sa.Table, rows: list[dict[str, Any]], *, json_text: Collection[str] = ()
) -> None:
    """Insert ``rows`` (each with the same keys; ids given, or the column's own where nothing needs them
    back) by the driver's bulk path.

    The rows of a push (versions, travellers and their identities: tens of thousands a minute) were most
    of the writer's time when they went through SQLAlchemy's executemany one parameter set at a time;
    here each value goes through its column's own bind processor (so what is stored is what an
    ``insert`` would store) and then straight to the driver: PostgreSQL's COPY, SQLite's executemany.
    JSON documents are serialised by the engine's serialiser, but for the columns in ``json_text``, whose
    values are JSON text already (:func:`~openpiu.store.codec.dumps`); none of these columns is nullable.
    """
    if not rows:
        return
    names = list(rows[0])
    _bulk_insert_values(
        connection, table, names, [[row[name] for name in names] for row in rows], json_text=json_text
    )


def _bulk_insert_values(
    connection: Connection,
    table: sa.Table,
    names: Sequence[str],
    values: list[list[Any]],
    *,
    json_text: Collection[str] = (),
) -> None:
    """`_bulk_insert` of rows given as lists of values for the columns ``names`` (converted in place): for
    the many small rows of the evidence index, whose dicts cost more than their insert."""
    if not values:
        return
    dialect = connection.dialect
    converters: list[Any] = []
    for name in names:
        column_type = table.c[name].type
        if name in json_text:
            converters.append(None)
        elif isinstance(column_type, sa.JSON):
            converters.append(_each(_fast_dumps))
        else:
            converters.append(column_type.dialect_impl(dialect).bind_processor(dialect))
    _convert_columns(values, converters)
    quote = dialect.identifier_preparer.quote
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, names))})"
    driver = connection.connection.driver_connection
    if dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[union-attr]
            for value in values:
                copy.write_row(value)
    else:
        placeholders = ", ".join("?" * len(names))
        cursor = driver.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(f"INSERT INTO {target} VALUES ({placeholders})", values)
        finally:
            cursor.close()


class _each:  # a marker, read as "convert each value"
    """A converter to run on every value, not once per distinct one (JSON: ``1`` and ``True`` are equal
    keys of a dict, not the same document)."""

    __slots__ = ("convert",)

    def __init__(self, convert: Any) -> None:
        self.convert = convert


def _convert_columns(values: list[list[Any]], converters: Sequence[Any]) -> None:
    """Put each column's values through its converter (None: none), in place, once per distinct value: the
    rows of one push share most of theirs (its flight date, the instant it was stored), and a bind
    processor (an instant's zone check and format) costs more than a look-up."""
    for i, convert in enumerate(converters):
        if convert is None:
            continue
        if isinstance(convert, _each):
            for value in values:
                if value[i] is not None:
                    value[i] = convert.convert(value[i])
            continue
        done: dict[Any, Any] = {}
        for value in values:
            given = value[i]
            if given is None:
                continue
            try:
                value[i] = done[given]
            except KeyError:
                value[i] = done[given] = convert(given)


def _bulk_update(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Update the rows of ``table`` named by each dict's ``id`` with its other values (the same keys in
    every dict), by the driver (SQLAlchemy's executemany would process every row in Python): one
    statement on PostgreSQL, an executemany on SQLite.
    Values go through their columns' bind processors; no JSON columns here."""
    if not rows:
        return
    dialect = connection.dialect
    names = [name for name in rows[0] if name != "id"]
    converters = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    values = [[row[name] for name in names] + [row["id"]] for row in rows]
    _convert_columns(values, converters)
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "postgresql":
            # One statement, each column an array: an executemany ran (and planned) one UPDATE a row, the
            # server's largest share of storing a push after the inserts.
            types = [table.c[name].type.compile(dialect=dialect) for name in names]
            arrays = ", ".join(f"%s::{kind}[]" for kind in [*types, "BIGINT"])
            columns = ", ".join(quote(name) for name in names)
            assignments = ", ".join(f"{quote(name)} = given.{quote(name)}" for name in names)
            cursor.execute(
                f"UPDATE {target} SET {assignments} FROM unnest({arrays}) AS given({columns}, given_id)"
                f" WHERE {target}.id = given.given_id",
                [array_text(column) for column in zip(*values, strict=True)],
            )
        else:
            assignments = ", ".join(f"{quote(name)} = ?" for name in names)
            cursor.executemany(f"UPDATE {target} SET {assignments} WHERE id = ?", values)
    finally:
        cursor.close()


def _ids(name: str) -> sa.BindParameter[Any]:
    """A list of values bound at execution (``IN``), under ``name``."""
    return sa.bindparam(name, expanding=True)


# Statements of every message's path, built once: building one (and its cache key) per call cost several
# times what running it does. Parameters named apart from the columns the statement sets.
_m, _f, _b, _v = t.messages, t.flights, t.bookings, t.booking_versions
_MESSAGE_FOR_UPDATE = sa.select(_m).where(_m.c.id == sa.bindparam("message")).with_for_update()
_MESSAGE_STATE = (
    sa.update(_m)
    .where(_m.c.id == sa.bindparam("message"))
    .values(
        state=sa.bindparam("new_state"),
        reason=sa.bindparam("new_reason"),
        state_changed_at=sa.bindparam("changed_at"),
    )
    .returning(*_m.c)
)
#: The same, only from the state ``old_state``.
_MESSAGE_STEP = _MESSAGE_STATE.where(_m.c.state == sa.bindparam("old_state"))
#: The states a message reaches from one state only, with that state.
_ONLY_BEFORE = {
    after: next(iter(before))
    for after in MessageState
    if len(before := {b for b, nexts in TRANSITIONS.items() if after in nexts and b is not after}) == 1
}
_STATE_CHANGE = sa.insert(t.message_states)
_MESSAGES_TO_STORE = (
    sa.select(_m.c.id, _m.c.received_at, _m.c.flight_date)
    .where(_m.c.id.in_(_ids("messages")))
    .order_by(_m.c.id)
    .with_for_update()
)
_MESSAGES_STORED = sa.update(_m).where(_m.c.id.in_(_ids("messages")))
_FLIGHT_FOR_UPDATE = (
    sa.select(_f.c.id, _f.c.last_pushed_at)
    .where(
        _f.c.carrier == sa.bindparam("f_carrier"),
        _f.c.number == sa.bindparam("f_number"),
        _f.c.flight_date == sa.bindparam("f_date"),
        _f.c.origin == sa.bindparam("f_origin"),
    )
    .with_for_update()
)
_FLIGHT_PUSHED = sa.update(_f).where(_f.c.id == sa.bindparam("flight")).values(push_count=_f.c.push_count + 1)
#: By backend (index: PostgreSQL or not), as each takes its list of keys (see `one_of`).
_BOOKINGS_FOR_UPDATE = tuple(
    sa.select(_b.c.id, _b.c.booking_key, _b.c.version_count, _b.c.current_pushed_at)
    .where(_b.c.flight_id == sa.bindparam("flight"), one_of(_b.c.booking_key, "keys", postgres=postgres))
    .order_by(_b.c.id)
    .with_for_update()
    for postgres in (False, True)
)
_API_PERSON_DATES = tuple(
    sa.select(t.api_persons.c.id, t.api_persons.c.flight_date).where(
        one_of(t.api_persons.c.id, "persons", postgres=postgres)
    )
    for postgres in (False, True)
)
_API_PERSONS_MERGED = tuple(
    sa.select(t.api_matches.c.api_person_id).where(
        one_of(t.api_matches.c.api_person_id, "persons", postgres=postgres)
    )
    for postgres in (False, True)
)
_FLIGHT_PUSH = sa.insert(t.flight_pushes)
_FULL_PUSHES = (
    sa.select(t.flight_pushes.c.pushed_at, t.flight_pushes.c.message_id)
    .where(t.flight_pushes.c.flight_id == sa.bindparam("flight"), t.flight_pushes.c.function == FULL_PUSH)
    .order_by(t.flight_pushes.c.pushed_at, t.flight_pushes.c.message_id)
)


def _current_travellers(lateral: bool) -> sa.Select[Any]:
    """The current travellers of a flight (``flight``), with their identifying parts.

    ``lateral`` (PostgreSQL): each booking's travellers read through their index, one booking at a time.
    Before the server has statistics on a growing table (a new database's first minute, before autovacuum
    looks), the planner guesses hundreds of rows per booking and would read every traveller stored to
    join them: a cost that grows with the database."""
    tr, ti, b = t.travellers, t.traveller_identities, t.bookings
    flight = (b.c.flight_id == sa.bindparam("flight"), sa.not_(b.c.cancelled))
    if not lateral:
        return (
            sa.select(tr, ti.c.record.label("identity"))
            .select_from(
                tr.join(ti, ti.c.traveller_id == tr.c.id).join(b, b.c.current_version_id == tr.c.version_id)
            )
            .where(*flight)
            .order_by(tr.c.booking_id, tr.c.position)
        )
    identity = sa.select(ti.c.record).where(ti.c.traveller_id == tr.c.id).scalar_subquery()
    travelling = (
        sa.select(tr, identity.label("identity"))
        .where(tr.c.version_id == b.c.current_version_id)
        .offset(0)  # kept a subquery: folded into the join, its plan would follow the guess again
        .lateral("travelling")
    )
    return (
        sa.select(*travelling.c)
        .select_from(b.join(travelling, sa.true()))
        .where(*flight, travelling.c.identity.is_not(None))  # as the inner join above
        .order_by(travelling.c.booking_id, travelling.c.position)
    )


#: By whether the dialect is PostgreSQL (SQLite has no LATERAL, and its planner takes the indexes anyway).
_CURRENT_TRAVELLERS = {lateral: _current_travellers(lateral) for lateral in (False, True)}


@cache
def _dialect_statements(dialect: str) -> tuple[Any, Any]:
    """The flight's and its designators' inserts that leave an existing row alone, for ``dialect``."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    flight = insert(_f).on_conflict_do_nothing(index_elements=["carrier", "number", "flight_date", "origin"])
    designators = insert(t.flight_designators).on_conflict_do_nothing(
        index_elements=["flight_id", "carrier", "number"]
    )
    return flight, designators


class _BookingState(NamedTuple):
    """What storing a push needs of a booking already on the flight."""

    id: int
    version_count: int
    current_pushed_at: datetime | None


class SqlStore(
    ReviewMixin,
    ViewsMixin,
    TransmissionsMixin,
    DraftsMixin,
    IdentitiesMixin,
    FollowsMixin,
    HistoriesMixin,
    SqlAccounts,
):
    """The storage contract on one SQLAlchemy engine. Thread-safe: each call uses its own connection."""

    def __init__(self, engine: Engine, *, clock: Clock) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{_WRITE: True})
        self._derived_writer = engine.execution_options(**{_WRITE: True, _DERIVED: True})
        self._clock = clock
        # SQLite has one writer at a time. A connection that finds the database locked sleeps in steps
        # of up to 100 ms before trying again, so this process's threads (the web server's: each page
        # appends an audit event) take their turns here instead and start the moment the last one ends;
        # every store of the process on the same file shares the turn (the server holds three).
        self._write_turn: AbstractContextManager[Any] = (
            _sqlite_write_turn(engine) if engine.dialect.name == "sqlite" else nullcontext()
        )
        self._pinned = threading.local()  # the connection of this thread's `reading` block
        # PostgreSQL reads run without BEGIN and ROLLBACK (two round trips each): in READ COMMITTED every
        # statement sees its own snapshot inside a transaction too, so nothing else changes.
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[None]:
        if getattr(self._pinned, "connection", None) is not None or self._processing() is not None:
            yield  # inside another (or inside a message's processing transaction): that one serves
            return
        with self._reader.connect() as connection:
            self._pinned.connection = connection
            try:
                yield
            finally:
                self._pinned.connection = None

    def dangling_references(self) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._reader.connect() as connection:
            for table, column, target in t.REFERENCES_CHECKED_BY_THE_STORE:
                child, parent = t.metadata.tables[table], t.metadata.tables[target]
                reference = child.c[column]
                found[f"{table}.{column} -> {target}"] = connection.execute(
                    sa.select(sa.func.count())
                    .select_from(child)
                    .where(reference.is_not(None), ~sa.exists().where(parent.c.id == reference))
                ).scalar_one()
        return found

    def prewarm(self) -> list[tuple[str, float]]:
        done: list[tuple[str, float]] = []
        postgres = self._engine.dialect.name == "postgresql"
        with self._reader.connect() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                if postgres:
                    cursor.execute(
                        "SELECT extnamespace::regnamespace::text FROM pg_extension"
                        " WHERE extname = 'pg_prewarm'"
                    )
                    found = cursor.fetchone()
                    if found is None:
                        return done  # its shared buffers and the file cache warm as pages are read
                    function = f"{found[0]}.pg_prewarm"  # the schema it was installed in, quoted if need be
                    cursor.execute(
                        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                        " AND relname = ANY(%s)",
                        ([name for _, name in _HOT_INDEXES],),
                    )
                else:
                    cursor.execute(
                        "SELECT name FROM sqlite_master WHERE name IN (SELECT value FROM json_each(?))",
                        (json.dumps([name for _, name in _HOT_INDEXES]),),
                    )
                present = {row[0] for row in cursor.fetchall()}
                for table, index in _HOT_INDEXES:
                    if index not in present:
                        continue
                    started = time.perf_counter()
                    if postgres:
                        cursor.execute(f"SELECT {function}(%s::regclass)", (index,))
                    else:
                        # Counting through the index (or the table) walks every page of it, in its order.
                        through = "NOT INDEXED" if index == table else f'INDEXED BY "{index}"'
                        cursor.execute(f'SELECT count(*) FROM "{table}" {through}')
                    cursor.fetchall()
                    done.append((index, time.perf_counter() - started))
            finally:
                cursor.close()
        return done

    def _not_reading(self) -> None:
        if getattr(self._pinned, "connection", None) is not None:
            raise StoreError("a write inside store.reading(): write before or after the reads")

    def _processing(self) -> Connection | None:
        """The connection of this thread's `processing` block, if it is inside one."""
        connection: Connection | None = getattr(self._pinned, "processing", None)
        return connection

    @contextmanager
    def processing(self) -> Iterator[None]:
        """One transaction for every store call of this thread inside the block (see `Inbox.processing`).

        It is a derived transaction (`_write_derived`): what it writes, the kept message gives again. The
        calls inside take the block's connection for their reads too, so they see what the block wrote."""
        with self._pinning(self._write_derived):
            yield

    @contextmanager
    def receiving(self) -> Iterator[None]:
        """One durable transaction for the receipts of this thread inside the block (see
        `Inbox.receiving`): its commit waits for the disk, as `receive`'s own does."""
        with self._pinning(self._write):
            yield

    @contextmanager
    def _pinning(self, begin: Callable[[], AbstractContextManager[Connection]]) -> Iterator[None]:
        """This thread's store calls inside the block share the transaction ``begin`` opens."""
        if self._processing() is not None:
            yield  # nested: the outer block's transaction serves
            return
        with begin() as connection:
            self._pinned.processing = connection
            try:
                yield
            finally:
                self._pinned.processing = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        pinned = self._processing()
        if pinned is not None:
            yield pinned
            return
        self._not_reading()
        with self._write_turn, self._writer.begin() as connection:
            yield connection

    @contextmanager
    def _write_derived(self) -> Iterator[Connection]:
        """A transaction that writes only what a kept message gives again when it is processed again: a
        step of a message after `receive` (its state, what it stores, merges, reassembly).

        Its commit does not wait for the disk (SQLite: ``synchronous=NORMAL`` under WAL; PostgreSQL:
        ``synchronous_commit=off``). A crash of the process loses nothing; a power cut or an operating
        system crash can undo the last such commits, never a receipt: ``receive`` commits synchronously,
        and the log is written in order, so each synchronous commit makes every commit before it durable
        too. So what a power cut can undo is the last few steps, in order: the database is as a kill of the
        process a moment earlier would have left it (which resume, run at every start, takes up again, as
        tests/pipeline/test_no_loss.py shows for every such moment), and never inconsistent.
        """
        pinned = self._processing()
        if pinned is not None:
            yield pinned
            return
        self._not_reading()
        with self._write_turn, self._derived_writer.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield connection

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        pinned: Connection | None = self._processing() or getattr(self._pinned, "connection", None)
        if pinned is not None:
            yield pinned
            return
        with self._reader.connect() as connection:
            yield connection

    def _now(self) -> datetime:
        now = self._clock.now()
        if now.tzinfo is None:
            raise StoreError("the clock gave a naive datetime")
        return now.astimezone(UTC)

    # --- inbox -----------------------------------------------------------------------------------

    def receive(
        self,
        raw: bytes,
        *,
        sender: str,
        channel: str,
        removals: Mapping[str, int] | None = None,
        policy: str | None = None,
        source: str | None = None,
    ) -> Receipt:
        digest = hashlib.sha256(raw).hexdigest()
        kept_removals = {code: int(n) for code, n in sorted((removals or {}).items()) if n}
        now = self._now()
        m = t.messages
        with self._write() as connection:
            inserted = connection.execute(
                _insert(connection, m)
                .values(
                    content_hash=digest,
                    sender=sender,
                    channel=channel,
                    size=len(raw),
                    received_at=now,
                    last_received_at=now,
                    deliveries=1,
                    state=MessageState.RECEIVED.value,
                    state_changed_at=now,
                    removed_items=sum(kept_removals.values()),
                    removals={"policy": policy, "items": kept_removals} if kept_removals else None,
                    source=source,
                )
                .on_conflict_do_nothing(index_elements=["content_hash"])
                .returning(m.c.id)
            ).scalar_one_or_none()
            if inserted is not None:
                connection.execute(sa.insert(t.message_bodies).values(message_id=inserted, raw=raw))
                connection.execute(
                    sa.insert(t.message_states).values(
                        message_id=inserted, state=MessageState.RECEIVED.value, at=now
                    )
                )
                _log.debug("message %d received (%d bytes, channel %s)", inserted, len(raw), channel)
                return Receipt(inserted, digest, False, 1, MessageState.RECEIVED)
            values: dict[str, Any] = {"deliveries": m.c.deliveries + 1, "last_received_at": now}
            if source is not None:
                # the first name in name order, whichever delivery came first
                values["source"] = sa.case(
                    (sa.or_(m.c.source.is_(None), m.c.source > source), source), else_=m.c.source
                )
            row = connection.execute(
                sa.update(m)
                .where(m.c.content_hash == digest)
                .values(**values)
                .returning(m.c.id, m.c.deliveries, m.c.state)
            ).one()
        _log.info("message %d delivered again (%d deliveries)", row.id, row.deliveries)
        return Receipt(row.id, digest, True, row.deliveries, MessageState(row.state))

    def message(self, message_id: int) -> InboxMessage | None:
        with self._read() as connection:
            row = connection.execute(sa.select(t.messages).where(t.messages.c.id == message_id)).one_or_none()
        return None if row is None else _inbox_message(row)

    def raw(self, message_id: int) -> bytes | None:
        b = t.message_bodies
        with self._read() as connection:
            value = connection.execute(sa.select(b.c.raw).where(b.c.message_id == message_id)).scalar()
        return None if value is None else bytes(value)

    def messages(self, state: MessageState, *, after: int = 0, limit: int = 100) -> list[InboxMessage]:
        m = t.messages
        query = sa.select(m).where(m.c.state == state.value, m.c.id > after).order_by(m.c.id).limit(limit)
        with self._read() as connection:
            return [_inbox_message(row) for row in connection.execute(query)]

    def history(self, message_id: int) -> list[StateChange]:
        s = t.message_states
        query = sa.select(s.c.state, s.c.reason, s.c.at).where(s.c.message_id == message_id).order_by(s.c.id)
        with self._read() as connection:
            return [StateChange(MessageState(r.state), r.reason, r.at) for r in connection.execute(query)]

    def advance(self, message_id: int, state: MessageState, *, reason: str | None = None) -> InboxMessage:
        state = MessageState(state)
        if state is MessageState.QUARANTINED and not (reason and reason.strip()):
            raise ValueError("quarantining a message needs a reason a person can read")
        now = self._now()
        # Back to received is a person's retry of a quarantined message, not a step the pipeline redoes.
        write = self._write if state is MessageState.RECEIVED else self._write_derived
        kept_reason = reason if state is MessageState.QUARANTINED else None
        values = {
            "message": message_id,
            "new_state": state.value,
            "new_reason": kept_reason,
            "changed_at": now,
        }
        with write() as connection:
            # The pipeline's steps have one state to come from: changed at once when the message is in it
            # (one statement fewer per step); else read first, to say why not, or that nothing changes.
            before = _ONLY_BEFORE.get(state)
            updated = None
            if before is not None:
                updated = connection.execute(
                    _MESSAGE_STEP, {**values, "old_state": before.value}
                ).one_or_none()
                current = before
            if updated is None:
                row = connection.execute(_MESSAGE_FOR_UPDATE, {"message": message_id}).one_or_none()
                if row is None:
                    raise NotFound(f"no message {message_id}")
                current = MessageState(row.state)
                if current is state:
                    return _inbox_message(row)  # a repeated step (e.g. after a crash) changes nothing
                if state not in TRANSITIONS[current]:
                    raise InvalidTransition(
                        f"message {message_id} is {current.value}; it cannot become {state.value}"
                    )
                updated = connection.execute(_MESSAGE_STATE, values).one()
            connection.execute(
                _STATE_CHANGE,
                {"message_id": message_id, "state": state.value, "reason": kept_reason, "at": now},
            )
        _log.info("message %d: %s -> %s", message_id, current.value, state.value)
        return _inbox_message(updated)

    def message_counts(self) -> MessageCounts:
        m = t.messages
        query = sa.select(
            m.c.state, sa.func.count(), sa.func.coalesce(sa.func.sum(m.c.deliveries - 1), 0)
        ).group_by(m.c.state)
        by_state = dict.fromkeys(MessageState, 0)
        duplicates = 0
        with self._read() as connection:
            for state, count, extra in connection.execute(query):
                by_state[MessageState(state)] = int(count)
                duplicates += int(extra)
            discarded = {
                row.reason: int(row.total)
                for row in connection.execute(
                    sa.select(
                        t.discarded_messages.c.reason,
                        sa.func.sum(t.discarded_messages.c.count).label("total"),
                    ).group_by(t.discarded_messages.c.reason)
                )
            }
            removed = connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(m.c.removed_items), 0))
            ).scalar_one()
        return MessageCounts(
            by_state=by_state, duplicates=duplicates, discarded=discarded, removed_items=int(removed)
        )

    def inbox_hours(self, since: datetime, until: datetime) -> list[InboxHour]:
        m, s = t.messages, t.message_states
        moves = (MessageState.STORED.value, MessageState.QUARANTINED.value)
        with self._read() as connection:
            received_hour, moved_hour = _hour_of(connection, m.c.received_at), _hour_of(connection, s.c.at)
            received = connection.execute(
                sa.select(received_hour, m.c.sender, sa.func.count())
                .where(m.c.received_at >= since, m.c.received_at < until)
                .group_by(received_hour, m.c.sender)
            ).all()
            moved = connection.execute(
                sa.select(moved_hour, m.c.sender, s.c.state, sa.func.count())
                .select_from(s.join(m, m.c.id == s.c.message_id))
                .where(s.c.at >= since, s.c.at < until, s.c.state.in_(moves))
                .group_by(moved_hour, m.c.sender, s.c.state)
            ).all()
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(("received", *moves), 0)
        )
        for hour, sender, count in received:
            counts[(hour, sender)]["received"] += int(count)
        for hour, sender, state, count in moved:
            counts[(hour, sender)][state] += int(count)
        return [
            InboxHour(
                hour=datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC),
                sender=sender,
                received=tally["received"],
                stored=tally[MessageState.STORED.value],
                quarantined=tally[MessageState.QUARANTINED.value],
            )
            for (hour, sender), tally in sorted(counts.items())
        ]

    def count_discarded(self, reason: str, *, day: date) -> None:
        d = t.discarded_messages
        with self._write() as connection:
            statement = _insert(connection, d).values(day=day, reason=reason, count=1)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["day", "reason"], set_={"count": d.c.count + 1}
                )
            )
        _log.info("a message was not kept: %s", reason)

    # --- split pushes ----------------------------------------------------------------------------

    def add_part(self, message_id: int, *, key: str, part: int, final: bool) -> SeriesState:
        ps, pp = t.push_series, t.push_parts
        now = self._now()
        with self._write_derived() as connection:
            if connection.dialect.name == "postgresql":
                # one writer per series key at a time, so two workers never open two series for it
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))
            known = connection.execute(
                sa.select(pp.c.series_id, ps.c.state)
                .select_from(pp.join(ps, ps.c.id == pp.c.series_id))
                .where(pp.c.message_id == message_id)
            ).one_or_none()
            if known is not None and known.state == "open":
                return self._series(connection, known.series_id)
            series_id = None
            for candidate in connection.execute(
                sa.select(ps.c.id)
                .where(ps.c.series_key == key, ps.c.state == "open")
                .order_by(ps.c.id.desc())
            ).scalars():
                taken = connection.execute(
                    sa.select(pp.c.message_id).where(pp.c.series_id == candidate, pp.c.part == part)
                ).first()
                if taken is None:
                    series_id = candidate
                break  # only the newest open series takes parts; an older one waits to expire
            if series_id is None:
                series_id = connection.execute(
                    sa.insert(ps).values(series_key=key, state="open", opened_at=now).returning(ps.c.id)
                ).scalar_one()
            values = {"series_id": series_id, "part": part, "final": final, "added_at": now}
            if known is None:
                connection.execute(sa.insert(pp).values(message_id=message_id, **values))
            else:  # a part of a closed series, retried: it joins the open one
                connection.execute(sa.update(pp).where(pp.c.message_id == message_id).values(**values))
            return self._series(connection, series_id)

    def _series(self, connection: Connection, series_id: int) -> SeriesState:
        ps, pp = t.push_series, t.push_parts
        row = connection.execute(sa.select(ps).where(ps.c.id == series_id)).one()
        parts = connection.execute(
            sa.select(pp.c.part, pp.c.message_id, pp.c.final).where(pp.c.series_id == series_id)
        ).all()
        finals = [p.part for p in parts if p.final]
        return SeriesState(
            id=row.id,
            key=row.series_key,
            state=row.state,
            parts={p.part: p.message_id for p in sorted(parts, key=lambda p: (p.part, p.message_id))},
            final_part=max(finals) if finals else None,
            opened_at=row.opened_at,
        )

    def series_of(self, message_id: int) -> SeriesState | None:
        pp = t.push_parts
        with self._read() as connection:
            series_id = connection.execute(
                sa.select(pp.c.series_id).where(pp.c.message_id == message_id)
            ).scalar_one_or_none()
            return None if series_id is None else self._series(connection, series_id)

    def open_series(self, *, opened_before: datetime) -> list[SeriesState]:
        ps = t.push_series
        with self._read() as connection:
            ids = connection.execute(
                sa.select(ps.c.id)
                .where(ps.c.state == "open", ps.c.opened_at < opened_before)
                .order_by(ps.c.opened_at, ps.c.id)
            ).scalars()
            return [self._series(connection, series_id) for series_id in list(ids)]

    def close_series(self, series_id: int, state: str, *, reason: str | None = None) -> None:
        if state not in ("stored", "quarantined"):
            raise ValueError(f"a series is closed as stored or quarantined, not {state!r}")
        ps = t.push_series
        with self._write_derived() as connection:
            connection.execute(
                sa.update(ps)
                .where(ps.c.id == series_id, ps.c.state == "open")
                .values(state=state, reason=reason, closed_at=self._now())
            )

    # --- API data --------------------------------------------------------------------------------

    def store_passenger_list(self, message_id: int, plist: PassengerList) -> StoredList:
        leg = next((leg for leg in plist.legs if leg.departure is not None), None)
        if leg is None or leg.departure is None:
            raise UnstorablePush(f"message {message_id}: the passenger list names no flight with a date")
        flight_date = leg.departure.local.date()
        origin = leg.origin or ""
        m, pl, ap = t.messages, t.passenger_lists, t.api_persons
        now = self._now()
        with self._write_derived() as connection:
            message = connection.execute(
                sa.select(m.c.id).where(m.c.id == message_id).with_for_update()
            ).one_or_none()
            if message is None:
                raise NotFound(f"no message {message_id}")
            known = connection.execute(sa.select(pl).where(pl.c.message_id == message_id)).one_or_none()
            if known is not None:
                persons = connection.execute(
                    sa.select(sa.func.count()).where(ap.c.list_id == known.id)
                ).scalar_one()
                return StoredList(
                    known.id, message_id, known.flight_id, known.flight_date, persons, already_stored=True
                )
            d, f = t.flight_designators, t.flights
            candidates = connection.execute(
                sa.select(f.c.id, f.c.origin)
                .select_from(f.join(d, d.c.flight_id == f.c.id))
                .where(d.c.flight_date == flight_date, d.c.carrier == leg.carrier, d.c.number == leg.number)
                .order_by(f.c.id)
            ).all()
            same_origin = [c.id for c in candidates if c.origin == origin]
            flight_id = (same_origin or [c.id for c in candidates] or [None])[0]
            header = to_json(replace(plist, persons=()))
            list_id = connection.execute(
                sa.insert(pl)
                .values(
                    message_id=message_id,
                    flight_id=flight_id,
                    flight_date=flight_date,
                    carrier=leg.carrier,
                    number=leg.number,
                    origin=origin,
                    crew=plist.document_code == "250",
                    record=header,
                    stored_at=now,
                )
                .returning(pl.c.id)
            ).scalar_one()
            splits = [split_api_person(person) for person in plist.persons]
            if splits:
                ids = _new_ids(connection, ap, len(splits))
                _bulk_insert(
                    connection,
                    ap,
                    [
                        {
                            "id": pid,
                            "list_id": list_id,
                            "flight_date": flight_date,
                            "position": position,
                            "role": person.role.value,
                            "record": public,
                        }
                        for position, (pid, person, (public, _)) in enumerate(
                            zip(ids, plist.persons, splits, strict=True)
                        )
                    ],
                )
                _bulk_insert(
                    connection,
                    t.api_person_identities,
                    [
                        {
                            "api_person_id": pid,
                            "flight_date": flight_date,
                            "surname_key": _name_key(person.surname),
                            "record": identity,
                        }
                        for pid, person, (_, identity) in zip(ids, plist.persons, splits, strict=True)
                    ],
                )
            connection.execute(sa.update(m).where(m.c.id == message_id).values(flight_date=flight_date))
        _log.info("message %d stored as passenger list %d: %d persons", message_id, list_id, len(splits))
        return StoredList(list_id, message_id, flight_id, flight_date, len(splits))

    def api_persons(self, flight_id: int, *, unmatched_only: bool = False) -> list[StoredApiPerson]:
        return self._api_persons(t.passenger_lists.c.flight_id == flight_id, unmatched_only=unmatched_only)

    def list_persons(self, list_id: int) -> list[StoredApiPerson]:
        return self._api_persons(t.api_persons.c.list_id == list_id)

    def unlinked_lists(self, flight_date: date) -> list[int]:
        pl = t.passenger_lists
        query = (
            sa.select(pl.c.id)
            .where(pl.c.flight_date == flight_date, pl.c.flight_id.is_(None))
            .order_by(pl.c.id)
        )
        with self._read() as connection:
            return list(connection.execute(query).scalars())

    def _api_persons(
        self, where: sa.ColumnElement[bool], *, unmatched_only: bool = False
    ) -> list[StoredApiPerson]:
        pl, ap, ai, am = t.passenger_lists, t.api_persons, t.api_person_identities, t.api_matches
        query = (
            sa.select(
                ap.c.id,
                ap.c.list_id,
                pl.c.flight_id,
                pl.c.carrier,
                pl.c.number,
                pl.c.origin,
                ap.c.flight_date,
                ap.c.position,
                ap.c.record,
                ai.c.record.label("identity"),
                am.c.traveller_id,
                am.c.booking_id,
                am.c.method,
                am.c.confidence,
                am.c.explanation,
            )
            .select_from(
                ap.join(pl, pl.c.id == ap.c.list_id)
                .join(ai, ai.c.api_person_id == ap.c.id)
                .outerjoin(am, am.c.api_person_id == ap.c.id)
            )
            .where(where)
            .order_by(ap.c.list_id, ap.c.position)
        )
        if unmatched_only:
            query = query.where(am.c.id.is_(None))
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [
            StoredApiPerson(
                id=row.id,
                list_id=row.list_id,
                flight_id=row.flight_id,
                flight_date=row.flight_date,
                position=row.position,
                person=api_person_from_parts(row.record, row.identity),
                match=None
                if row.traveller_id is None
                else ApiMatch(
                    api_person_id=row.id,
                    traveller_id=row.traveller_id,
                    booking_id=row.booking_id,
                    method=row.method,
                    confidence=row.confidence,
                    explanation=tuple(row.explanation),
                ),
                flight=(row.carrier, row.number, row.origin),
            )
            for row in rows
        ]

    def current_travellers(self, flight_id: int) -> list[StoredTraveller]:
        with self._read() as connection:
            query = _CURRENT_TRAVELLERS[connection.dialect.name == "postgresql"]
            return [_stored_traveller(row) for row in connection.execute(query, {"flight": flight_id})]

    def record_api_matches(self, matches: list[ApiMatch]) -> int:
        if not matches:
            return 0
        am = t.api_matches
        now = self._now()
        with self._write_derived() as connection:
            postgres = connection.dialect.name == "postgresql"
            persons = sorted({m.api_person_id for m in matches})
            found = connection.execute(_API_PERSON_DATES[postgres], {"persons": listed(connection, persons)})
            dates = dict(found.all())
            merged_before = set(
                connection.execute(
                    _API_PERSONS_MERGED[postgres], {"persons": listed(connection, sorted(dates))}
                ).scalars()
            )
            rows, seen = [], set(merged_before)
            for match in matches:
                if match.api_person_id in seen:
                    continue  # a person keeps its first merge
                seen.add(match.api_person_id)
                rows.append(
                    {
                        "api_person_id": match.api_person_id,
                        "booking_id": match.booking_id,
                        "traveller_id": match.traveller_id,
                        "flight_date": dates[match.api_person_id],
                        "method": match.method,
                        "confidence": match.confidence,
                        "explanation": list(match.explanation),
                        "matched_at": now,
                    }
                )
            if rows:  # a concurrent worker may have merged one meanwhile: its merge stays
                connection.execute(
                    _insert(connection, am).on_conflict_do_nothing(index_elements=["api_person_id"]), rows
                )
            added = len(rows)
        return added

    def api_counts(self) -> ApiCounts:
        def count(table: sa.Table) -> sa.ScalarSelect[int]:
            return sa.select(sa.func.count()).select_from(table).scalar_subquery()

        with self._read() as connection:
            row = connection.execute(
                sa.select(count(t.passenger_lists), count(t.api_persons), count(t.api_matches))
            ).one()
        return ApiCounts(lists=row[0], persons=row[1], matched=row[2])

    # --- flights and bookings --------------------------------------------------------------------

    def store_push(self, message_id: int, push: PnrPush) -> PushResult:
        return self.store_parts([(message_id, push)])

    def store_parts(
        self, parts: list[tuple[int, PnrPush]], *, encoded: Mapping[int, EncodedPush] | None = None
    ) -> PushResult:
        if not parts:
            raise ValueError("a push has at least one part")
        message_ids = [mid for mid, _ in parts]
        first_id, first = parts[0]
        flight = first.flight
        if flight is None:
            raise UnstorablePush(f"message {first_id}: the push names no flight")
        if flight.departure is None:
            raise UnstorablePush(f"message {first_id}: flight {flight.designator} has no departure date")
        flight_date = flight.departure.local.date()
        origin = flight.origin or ""
        operating = _operating_flight(flight)
        now = self._now()
        b, v = t.bookings, t.booking_versions
        with self._write_derived() as connection:
            found = connection.execute(_MESSAGES_TO_STORE, {"messages": message_ids}).all()
            if len(found) != len(set(message_ids)):
                missing = sorted(set(message_ids) - {row.id for row in found})
                raise NotFound(f"no message {', '.join(map(str, missing))}")
            if any(row.flight_date is not None for row in found):
                # stored before: a retry after a crash, or a second worker
                return self._stored_result(connection, message_ids)
            prepared = first.header.prepared_at
            pushed_at = min(row.received_at for row in found) if prepared is None else _aware(prepared)

            flight_key = {
                "carrier": operating.carrier,
                "number": operating.number,
                "flight_date": flight_date,
                "origin": origin,
            }
            insert_flight, insert_designators = _dialect_statements(connection.dialect.name)
            connection.execute(
                insert_flight,
                {
                    **flight_key,
                    "record": to_json(operating),
                    "push_count": 0,
                    "first_message_id": first_id,
                    "last_message_id": first_id,
                    "last_pushed_at": pushed_at,
                    "updated_at": now,
                },
            )
            flight_row = connection.execute(
                _FLIGHT_FOR_UPDATE,
                {
                    "f_carrier": operating.carrier,
                    "f_number": operating.number,
                    "f_date": flight_date,
                    "f_origin": origin,
                },
            ).one()
            flight_id = flight_row.id
            flight_values: dict[str, Any] = {"flight": flight_id, "updated_at": now}
            if pushed_at >= flight_row.last_pushed_at:  # an older push arriving late does not win
                flight_values |= {
                    "record": to_json(operating),
                    "destination": flight.destination,
                    "departure_utc": flight.departure.utc,
                    "last_message_id": first_id,
                    "last_pushed_at": pushed_at,
                }
            connection.execute(_FLIGHT_PUSHED, flight_values)
            connection.execute(_MESSAGES_STORED, {"messages": message_ids, "flight_date": flight_date})
            designators = {
                (operating.carrier, operating.number, True),
                (flight.carrier, flight.number, False),
            }
            connection.execute(
                insert_designators,
                [
                    {
                        "flight_id": flight_id,
                        "flight_date": flight_date,
                        "carrier": carrier,
                        "number": number,
                        "operating": is_operating,
                    }
                    for carrier, number, is_operating in sorted(designators, key=lambda d: not d[2])
                ],
            )

            pushed = [
                (mid, push.header.part, position, booking)
                for mid, push in parts
                for position, booking in enumerate(push.bookings)
            ]
            keys = [booking.locator or f"~{mid}/{position}" for mid, _, position, booking in pushed]
            bookings_pushed = [booking for *_, booking in pushed]
            state: dict[str, _BookingState] = {
                row.booking_key: _BookingState(row.id, row.version_count, row.current_pushed_at)
                for row in connection.execute(
                    _BOOKINGS_FOR_UPDATE[connection.dialect.name == "postgresql"],
                    {"flight": flight_id, "keys": listed(connection, sorted(set(keys)))},
                )
            }
            # The flight's row is locked: no one else adds bookings to it meanwhile.
            unknown = {
                key: booking
                for key, booking in dict(zip(keys, bookings_pushed, strict=True)).items()
                if key not in state
            }
            booking_ids = _new_ids(connection, b, len(unknown))
            _bulk_insert(
                connection,
                b,
                [
                    {
                        "id": booking_id,
                        "flight_id": flight_id,
                        "flight_date": flight_date,
                        "booking_key": key,
                        "locator": booking.locator,
                        "version_count": 0,
                        "cancelled": False,
                        "updated_at": now,
                    }
                    for booking_id, (key, booking) in zip(booking_ids, unknown.items(), strict=True)
                ],
            )
            state |= {
                key: _BookingState(booking_id, 0, None)
                for booking_id, key in zip(booking_ids, unknown, strict=True)
            }
            new_bookings = sum(1 for key in set(keys) if state[key].version_count == 0)
            counts = {key: state[key].version_count for key in keys}
            splits = _encoded(parts, encoded or {})
            version_rows = []
            for key, (mid, part, position, booking), split in zip(keys, pushed, splits, strict=True):
                counts[key] += 1
                version_rows.append(
                    {
                        "booking_id": state[key].id,
                        "flight_id": flight_id,
                        "flight_date": flight_date,
                        "version": counts[key],
                        "message_id": mid,
                        "part": part,
                        "position": position,
                        "function": first.function,
                        "cancelled": booking.cancelled,
                        "locator": booking.locator,
                        "pushed_at": pushed_at,
                        "stored_at": now,
                        "record": split.public,
                    }
                )
            version_ids: list[int] = []
            if version_rows:
                version_ids = _new_ids(connection, v, len(version_rows))
                _bulk_insert(
                    connection,
                    v,
                    [{"id": vid, **row} for vid, row in zip(version_ids, version_rows, strict=True)],
                    json_text={"record"},
                )
                _bulk_insert(
                    connection,
                    t.booking_identities,
                    [
                        {"version_id": vid, "flight_date": flight_date, "record": split.identity}
                        for vid, split in zip(version_ids, splits, strict=True)
                    ],
                    json_text={"record"},
                )
            self._insert_travellers(connection, version_rows, version_ids, splits, bookings_pushed)

            # The current version of each booking: its latest by push time (ties: the later stored).
            current: dict[str, dict[str, Any]] = {}
            for key, row, vid, booking in zip(keys, version_rows, version_ids, bookings_pushed, strict=True):
                before = current.get(key)
                previous_at = before["current_pushed_at"] if before else state[key].current_pushed_at
                entry = before or {
                    "b_id": state[key].id,
                    "current_version_id": None,
                    "current_pushed_at": state[key].current_pushed_at,
                    "cancelled": None,
                }
                if previous_at is None or pushed_at >= previous_at:
                    entry |= {
                        "current_version_id": vid,
                        "current_pushed_at": pushed_at,
                        "cancelled": booking.cancelled,
                    }
                entry["version_count"] = row["version"]
                current[key] = entry
            changed = [
                {
                    "id": e["b_id"],
                    "current_version_id": e["current_version_id"],
                    "current_pushed_at": e["current_pushed_at"],
                    "cancelled": e["cancelled"],
                    "version_count": e["version_count"],
                    "updated_at": now,
                }
                for e in current.values()
                if e["current_version_id"] is not None
            ]
            counted = [
                {"id": e["b_id"], "version_count": e["version_count"], "updated_at": now}
                for e in current.values()
                if e["current_version_id"] is None
            ]
            _bulk_update(connection, b, changed)
            _bulk_update(connection, b, counted)
            connection.execute(
                _FLIGHT_PUSH,
                {
                    "flight_id": flight_id,
                    "flight_date": flight_date,
                    "message_id": first_id,
                    "parts": len(parts),
                    "function": first.function,
                    "sender": first.header.sender,
                    "pushed_at": pushed_at,
                    "bookings": len(bookings_pushed),
                    "stored_at": now,
                },
            )
            # an update push changes its own bookings only; a full push may remove any other
            pushed_ids = None if first.function == FULL_PUSH else {state[key].id for key in keys}
            removed = self._reconcile_removals(connection, flight_id, flight_date, pushed_ids)
            self._link_lists(connection, flight_id, flight_date, designators)
        result = PushResult(
            message_id=first_id,
            flight_id=flight_id,
            flight_date=flight_date,
            versions=len(version_rows),
            new_bookings=new_bookings,
            cancelled=sum(1 for booking in bookings_pushed if booking.cancelled),
            removed=removed,
            message_ids=tuple(message_ids),
        )
        _log.info(
            "message %s stored on flight %d: %d versions, %d new bookings, %d cancelled, %d removed",
            "+".join(map(str, message_ids)),
            flight_id,
            result.versions,
            result.new_bookings,
            result.cancelled,
            result.removed,
        )
        return result

    def _reconcile_removals(
        self, connection: Connection, flight_id: int, flight_date: date, only: Collection[int] | None = None
    ) -> int:
        """Which bookings have left the flight, from every push kept, whatever order they arrived in.

        A full push (function 22) is the whole flight: a booking whose latest version is older than a
        full push has left it (cancelled or rebooked), removed by the first full push after that version.
        ``only``: the bookings an update push (not full) stored; no other booking's latest version, nor the
        flight's full pushes, changed, so no other booking's removal can have. Returns how many bookings
        this call marked removed.
        """
        b, v, r = t.bookings, t.booking_versions, t.booking_removals
        fulls = connection.execute(_FULL_PUSHES, {"flight": flight_id}).all()
        if not fulls and only is not None:
            return 0  # no full push: nothing has left the flight, and nothing was recorded as removed
        # The current version is the latest by push time, so its push time is the booking's latest.
        query = (
            sa.select(b.c.id, b.c.cancelled, v.c.cancelled.label("version_cancelled"), b.c.current_pushed_at)
            .select_from(b.join(v, v.c.id == b.c.current_version_id))
            .where(b.c.flight_id == flight_id)
        )
        removals = sa.select(r.c.booking_id, r.c.message_id).where(r.c.flight_id == flight_id)
        if only is not None:
            query = query.where(b.c.id.in_(sorted(only)))
            removals = removals.where(r.c.booking_id.in_(sorted(only)))
        rows = connection.execute(query).all()
        recorded = dict(connection.execute(removals).all())
        now = self._now()
        newly = 0
        for row in rows:
            removed_by = None
            if not row.version_cancelled:
                later = [push for push in fulls if push.pushed_at > row.current_pushed_at]
                removed_by = later[0] if later else None
            cancelled = bool(row.version_cancelled) or removed_by is not None
            if cancelled != row.cancelled:
                connection.execute(
                    sa.update(b).where(b.c.id == row.id).values(cancelled=cancelled, updated_at=now)
                )
            before = recorded.get(row.id)
            if removed_by is None and before is not None:
                connection.execute(sa.delete(r).where(r.c.booking_id == row.id))
            elif removed_by is not None and before != removed_by.message_id:
                newly += before is None
                connection.execute(sa.delete(r).where(r.c.booking_id == row.id))
                connection.execute(
                    sa.insert(r).values(
                        booking_id=row.id,
                        flight_id=flight_id,
                        flight_date=flight_date,
                        message_id=removed_by.message_id,
                        pushed_at=removed_by.pushed_at,
                        stored_at=now,
                    )
                )
        return newly

    def _link_lists(
        self,
        connection: Connection,
        flight_id: int,
        flight_date: date,
        designators: set[tuple[str, str, bool]],
    ) -> None:
        """API lists that arrived before the flight's first PNR push belong to it now."""
        pl = t.passenger_lists
        connection.execute(
            sa.update(pl)
            .where(
                pl.c.flight_id.is_(None),
                pl.c.flight_date == flight_date,
                sa.or_(*(sa.and_(pl.c.carrier == c, pl.c.number == n) for c, n, _ in designators)),
            )
            .values(flight_id=flight_id)
        )

    def _insert_travellers(
        self,
        connection: Connection,
        version_rows: list[dict[str, Any]],
        version_ids: list[int],
        splits: list[EncodedBooking],
        pushed: list[Booking],
    ) -> None:
        rows: list[dict[str, Any]] = []
        identities: list[dict[str, Any]] = []
        for row, vid, split, booking in zip(version_rows, version_ids, splits, pushed, strict=True):
            for position, ((public, identity), traveller) in enumerate(
                zip(split.travellers, booking.travellers, strict=True)
            ):
                rows.append(
                    {
                        "version_id": vid,
                        "booking_id": row["booking_id"],
                        "flight_date": row["flight_date"],
                        "position": position,
                        "ref": traveller.ref,
                        "type": traveller.type.value,
                        "record": public,
                    }
                )
                identities.append(
                    {
                        "flight_date": row["flight_date"],
                        "surname": traveller.surname,
                        "given_names": traveller.given_names,
                        "surname_key": _name_key(traveller.surname),
                        "date_of_birth": None
                        if traveller.date_of_birth is None
                        else traveller.date_of_birth.isoformat(),
                        "record": identity,
                    }
                )
        if not rows:
            return
        tr = t.travellers
        ids = _new_ids(connection, tr, len(rows))
        _bulk_insert(
            connection,
            tr,
            [{"id": tid, **row} for tid, row in zip(ids, rows, strict=True)],
            json_text={"record"},
        )
        _bulk_insert(
            connection,
            t.traveller_identities,
            [{"traveller_id": tid, **identity} for tid, identity in zip(ids, identities, strict=True)],
            json_text={"record"},
        )

    def _stored_result(self, connection: Connection, message_ids: list[int]) -> PushResult:
        v = t.booking_versions
        mine = v.c.message_id.in_(message_ids)
        row = connection.execute(
            sa.select(
                sa.select(sa.func.min(t.messages.c.flight_date))
                .where(t.messages.c.id.in_(message_ids))
                .scalar_subquery(),
                sa.select(sa.func.count()).where(mine).scalar_subquery(),
                sa.select(sa.func.count()).where(mine, v.c.cancelled).scalar_subquery(),
                sa.select(sa.func.min(v.c.flight_id)).where(mine).scalar_subquery(),
                sa.select(sa.func.count())
                .select_from(t.booking_removals)
                .where(t.booking_removals.c.message_id == message_ids[0])
                .scalar_subquery(),
            )
        ).one()
        flight_id = row[3]
        if flight_id is None:  # a push without bookings: find its flight by the message
            flight_id = connection.execute(
                sa.select(sa.func.max(t.flights.c.id)).where(
                    sa.or_(
                        t.flights.c.last_message_id.in_(message_ids),
                        t.flights.c.first_message_id.in_(message_ids),
                    )
                )
            ).scalar()
        _log.info("message %s was stored before; nothing added", "+".join(map(str, message_ids)))
        return PushResult(
            message_id=message_ids[0],
            flight_id=int(flight_id or 0),
            flight_date=row[0],
            versions=int(row[1]),
            new_bookings=0,
            cancelled=int(row[2]),
            already_stored=True,
            removed=int(row[4]),
            message_ids=tuple(message_ids),
        )

    def find_flights(
        self, *, flight_date: date, carrier: str | None = None, number: str | None = None
    ) -> list[StoredFlight]:
        f, d = t.flights, t.flight_designators
        query = sa.select(f).where(f.c.flight_date == flight_date).order_by(f.c.carrier, f.c.number, f.c.id)
        if carrier is not None or number is not None:
            # by any of the flight's designators: the operating one, or a codeshare's
            named = sa.select(d.c.flight_id).where(d.c.flight_date == flight_date)
            if carrier is not None:
                named = named.where(d.c.carrier == carrier)
            if number is not None:
                named = named.where(d.c.number == number)
            query = query.where(f.c.id.in_(named))
        with self._read() as connection:
            return [stored_flight(row) for row in connection.execute(query)]

    def flight(self, flight_id: int) -> StoredFlight | None:
        with self._read() as connection:
            row = connection.execute(sa.select(t.flights).where(t.flights.c.id == flight_id)).one_or_none()
        return None if row is None else stored_flight(row)

    def current_bookings(self, flight_id: int, *, include_cancelled: bool = True) -> list[StoredBooking]:
        where = [t.bookings.c.flight_id == flight_id]
        if not include_cancelled:
            where.append(sa.not_(t.bookings.c.cancelled))
        return self._current(sa.and_(*where))

    def booking(self, booking_id: int) -> StoredBooking | None:
        found = self._current(t.bookings.c.id == booking_id)
        return found[0] if found else None

    def bookings_by_locator(self, locator: str) -> list[StoredBooking]:
        return self._current(t.bookings.c.locator == locator)

    def bookings_by_ids(self, booking_ids: Sequence[int]) -> list[StoredBooking]:
        wanted = sorted(set(booking_ids))
        found: list[StoredBooking] = []
        # In slices: a parameter list has a ceiling (SQLite's is 32,766 per statement).
        for start in range(0, len(wanted), 5000):
            found.extend(self._current(t.bookings.c.id.in_(wanted[start : start + 5000])))
        return sorted(found, key=lambda stored: stored.id)

    def _current(self, where: sa.ColumnElement[bool]) -> list[StoredBooking]:
        b, v, i = t.bookings, t.booking_versions, t.booking_identities
        query = (
            sa.select(
                b.c.id,
                b.c.flight_id,
                b.c.flight_date,
                b.c.locator,
                b.c.version_count,
                b.c.cancelled,
                v.c.id.label("version_id"),
                v.c.version,
                v.c.message_id,
                v.c.part,
                v.c.cancelled.label("version_cancelled"),
                v.c.record,
                i.c.record.label("identity"),
                sa.select(sa.func.max(t.booking_removals.c.message_id))
                .where(t.booking_removals.c.booking_id == b.c.id)
                .scalar_subquery()
                .label("removed_by"),
            )
            .select_from(b.join(v, v.c.id == b.c.current_version_id).join(i, i.c.version_id == v.c.id))
            .where(where)
            .order_by(b.c.id)
        )
        with self._read() as connection:  # rows as mappings: see sql_review.stored_hit
            rows = connection.execute(query).mappings().all()
            travellers = self._travellers(
                connection, t.travellers.c.version_id.in_(sa.select(b.c.current_version_id).where(where))
            )
        return [
            StoredBooking(
                id=row["id"],
                flight_id=row["flight_id"],
                flight_date=row["flight_date"],
                locator=row["locator"],
                version=row["version"],
                version_id=row["version_id"],
                versions=row["version_count"],
                cancelled=row["cancelled"],
                message_id=row["message_id"],
                part=row["part"],
                booking=join_booking(row["record"], row["identity"], travellers.get(row["version_id"], [])),
                removed_by=row["removed_by"] if row["cancelled"] and not row["version_cancelled"] else None,
            )
            for row in rows
        ]

    def _travellers(
        self, connection: Connection, condition: sa.ColumnElement[bool]
    ) -> dict[int, list[tuple[dict[str, Any], dict[str, Any]]]]:
        """Traveller parts by version id, in position order, for the travellers ``condition`` selects."""
        tr, ti = t.travellers, t.traveller_identities
        query = (
            sa.select(tr.c.version_id, tr.c.record, ti.c.record.label("identity"))
            .select_from(tr.join(ti, ti.c.traveller_id == tr.c.id))
            .where(condition)
            .order_by(tr.c.version_id, tr.c.position)
        )
        grouped: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
        for version_id, record, identity in connection.execute(query):
            grouped[version_id].append((record, identity))
        return grouped

    def versions(self, booking_id: int) -> list[BookingVersion]:
        v, i = t.booking_versions, t.booking_identities
        query = (
            sa.select(v, i.c.record.label("identity"))
            .select_from(v.join(i, i.c.version_id == v.c.id))
            .where(v.c.booking_id == booking_id)
            .order_by(v.c.version)
        )
        with self._read() as connection:  # rows as mappings: see sql_review.stored_hit
            rows = connection.execute(query).mappings().all()
            travellers = self._travellers(connection, t.travellers.c.booking_id == booking_id)
        return [
            BookingVersion(
                id=row["id"],
                booking_id=row["booking_id"],
                version=row["version"],
                message_id=row["message_id"],
                part=row["part"],
                position=row["position"],
                function=row["function"],
                cancelled=row["cancelled"],
                pushed_at=row["pushed_at"],
                stored_at=row["stored_at"],
                booking=join_booking(row["record"], row["identity"], travellers.get(row["id"], [])),
            )
            for row in rows
        ]

    def travellers_named(
        self,
        surname: str,
        *,
        current_only: bool = True,
        given_names: str | None = None,
        date_of_birth: PartialDate | None = None,
        exact: bool = False,
        limit: int | None = None,
    ) -> list[StoredTraveller]:
        tr, ti, b = t.travellers, t.traveller_identities, t.bookings
        joined = tr.join(ti, ti.c.traveller_id == tr.c.id)
        if current_only:
            joined = joined.join(b, b.c.current_version_id == tr.c.version_id)
        query = sa.select(tr, ti.c.record.label("identity")).select_from(joined)
        query = query.where(ti.c.surname_key == _name_key(surname))
        # "= value" or "IS NULL", never "IS NOT DISTINCT FROM": PostgreSQL's indexes answer only those two
        dob = None if date_of_birth is None else date_of_birth.isoformat()
        for column, value in ((ti.c.given_names, given_names), (ti.c.date_of_birth, dob)):
            if value is not None:
                query = query.where(column == value)
            elif exact:
                query = query.where(column.is_(None))
        if limit is not None:
            # the most recent ones, read in the usual order; with the name and date of birth given, the
            # name index walks them newest first and stops at the limit (a frequent name has thousands)
            query = query.order_by(ti.c.flight_date.desc(), ti.c.traveller_id.desc()).limit(limit)
            with self._read() as connection:
                return sorted(
                    (_stored_traveller(row) for row in connection.execute(query)), key=lambda r: r.id
                )
        with self._read() as connection:
            return [_stored_traveller(row) for row in connection.execute(query.order_by(tr.c.id))]

    def booking_counts(self) -> BookingCounts:
        def count(table: sa.Table) -> sa.ScalarSelect[int]:
            return sa.select(sa.func.count()).select_from(table).scalar_subquery()

        with self._read() as connection:
            row = connection.execute(
                sa.select(count(t.flights), count(t.bookings), count(t.booking_versions), count(t.travellers))
            ).one()
        return BookingCounts(flights=row[0], bookings=row[1], booking_versions=row[2], travellers=row[3])

    # --- watchlists, criteria, hits --------------------------------------------------------------

    def import_watchlist(
        self, watchlist: Watchlist, entries: list[WatchlistEntry], *, actor: str
    ) -> StoredWatchlist:
        w, e = t.watchlists, t.watchlist_entries
        now = self._now()
        with self._write() as connection:
            known = connection.execute(
                sa.select(w.c.id).where(w.c.list_id == watchlist.list_id, w.c.version == watchlist.version)
            ).first()
            if known is not None:
                raise StoreError(
                    f"watchlist {watchlist.list_id} version {watchlist.version} was imported before; "
                    "import a new version"
                )
            connection.execute(sa.update(w).where(w.c.list_id == watchlist.list_id).values(active=False))
            stored_id = connection.execute(
                sa.insert(w)
                .values(
                    list_id=watchlist.list_id,
                    version=watchlist.version,
                    record=to_json(watchlist),
                    entries=len(entries),
                    active=True,
                    imported_at=now,
                    imported_by=actor,
                )
                .returning(w.c.id)
            ).scalar_one()
            if entries:
                connection.execute(
                    sa.insert(e),
                    [
                        {"watchlist_id": stored_id, "entry_id": x.entry_id, "record": to_json(x)}
                        for x in entries
                    ],
                )
        _log.info(
            "watchlist %s version %s imported: %d entries", watchlist.list_id, watchlist.version, len(entries)
        )
        return StoredWatchlist(stored_id, watchlist, len(entries), True, now, actor)

    def watchlists(self, *, active_only: bool = False) -> list[StoredWatchlist]:
        w = t.watchlists
        query = sa.select(w).order_by(w.c.list_id, w.c.imported_at, w.c.id)
        if active_only:
            query = query.where(w.c.active)
        with self._read() as connection:
            return [
                StoredWatchlist(
                    row.id,
                    from_json(Watchlist, row.record),
                    row.entries,
                    row.active,
                    row.imported_at,
                    row.imported_by,
                )
                for row in connection.execute(query)
            ]

    def watchlist_entries(self, stored_id: int) -> list[WatchlistEntry]:
        e = t.watchlist_entries
        with self._read() as connection:
            return [
                from_json(WatchlistEntry, record)
                for record in connection.execute(
                    sa.select(e.c.record).where(e.c.watchlist_id == stored_id).order_by(e.c.id)
                ).scalars()
            ]

    def activate_criterion(self, spec: CriterionSpec, *, actor: str) -> CriterionSpec:
        with self._write() as connection:
            activated = activate_in(connection, spec, actor=actor, now=self._now())
        _log.info("criterion %s version %s activated", spec.criterion_id, spec.version)
        return activated

    def deactivate_criterion(self, criterion_id: str, *, actor: str) -> bool:
        c = t.criteria
        with self._write() as connection:
            changed = connection.execute(
                sa.update(c).where(c.c.criterion_id == criterion_id, c.c.active).values(active=False)
            ).rowcount
        _log.info("criterion %s deactivated by %s", criterion_id, actor)
        return bool(changed)

    def active_criteria(self) -> list[CriterionSpec]:
        c = t.criteria
        with self._read() as connection:
            rows = connection.execute(sa.select(c).where(c.c.active).order_by(c.c.criterion_id)).all()
        return [criterion_spec(row) for row in rows]

    def record_hits(self, hits: list[Hit]) -> HitCounts:
        if not hits:
            return HitCounts(0, 0)
        h, b, ap = t.hits, t.bookings, t.api_persons
        now = self._now()
        new = updated = 0
        with self._write() as connection:
            booking_dates = dict(
                connection.execute(
                    sa.select(b.c.id, b.c.flight_date).where(
                        b.c.id.in_({x.booking_id for x in hits if x.booking_id is not None})
                    )
                ).all()
            )
            person_dates = dict(
                connection.execute(
                    sa.select(ap.c.id, ap.c.flight_date).where(
                        ap.c.id.in_({x.api_person_id for x in hits if x.booking_id is None})
                    )
                ).all()
            )
            for hit in hits:
                if hit.booking_id is not None:
                    flight_date = booking_dates[hit.booking_id]
                elif hit.api_person_id is not None:
                    flight_date = person_dates[hit.api_person_id]
                else:
                    raise ValueError("a hit names a booking or an API person")
                values = {
                    "flight_id": hit.flight_id,
                    "traveller_id": hit.traveller_id,
                    "api_person_id": hit.api_person_id,
                    "source_version": hit.source_version,
                    "list_id": hit.list_id,
                    "score": hit.score,
                    "priority": hit.priority,
                    "explanation": [to_json(f) for f in hit.explanation],
                    "last_seen_at": now,
                }
                key = (
                    h.c.kind == hit.kind.value,
                    h.c.booking_id.is_(None) if hit.booking_id is None else h.c.booking_id == hit.booking_id,
                    h.c.traveller_key == hit.traveller_key,
                    h.c.source_id == hit.source_id,
                )
                known = connection.execute(
                    sa.select(h.c.id, h.c.traveller_id, h.c.api_person_id).where(*key).with_for_update()
                ).first()
                if known is None:
                    hit_id = connection.execute(
                        sa.insert(h)
                        .values(
                            kind=hit.kind.value,
                            flight_date=flight_date,
                            booking_id=hit.booking_id,
                            traveller_key=hit.traveller_key,
                            source_id=hit.source_id,
                            first_seen_at=now,
                            screenings=1,
                            **values,
                        )
                        .returning(h.c.id)
                    ).scalar_one()
                    new += 1
                else:
                    # Screening the same version again (a retry, a list change) is not another push.
                    if hit.booking_id is not None:
                        again = known.traveller_id != hit.traveller_id
                    else:  # a re-sent passenger list
                        again = known.api_person_id != hit.api_person_id
                    connection.execute(
                        sa.update(h)
                        .where(h.c.id == known.id)
                        .values(screenings=h.c.screenings + (1 if again else 0), **values)
                    )
                    hit_id = known.id
                    updated += 1
                if hit.booking_id is not None and hit.api_key is not None:
                    self._take_over(connection, hit_id, hit, now)
        return HitCounts(new, updated)

    @staticmethod
    def _take_over(connection: Connection, hit_id: int, hit: Hit, now: datetime) -> None:
        """The traveller's hit ``hit_id`` takes over the open hit of the merged API person alone on the
        same entry or criterion, with its latest decision when that is the later one."""
        h, d = t.hits, t.decisions
        alone = connection.execute(
            sa.select(h.c.id)
            .where(
                h.c.kind == hit.kind.value,
                h.c.booking_id.is_(None),
                h.c.traveller_key == hit.api_key,
                h.c.source_id == hit.source_id,
                h.c.superseded_by.is_(None),
            )
            .with_for_update()
        ).scalar_one_or_none()
        if alone is None:
            return
        connection.execute(
            sa.update(h).where(h.c.id == alone).values(superseded_by=hit_id, superseded_at=now)
        )
        # The hit's outcome is its latest decision's, now among its own and the API person's hit's.
        latest = connection.execute(
            sa.select(d.c.outcome, d.c.decided_at)
            .where(d.c.hit_id.in_([hit_id, alone]))
            .order_by(d.c.id.desc())
            .limit(1)
        ).one_or_none()
        if latest is not None:
            connection.execute(
                sa.update(h)
                .where(h.c.id == hit_id)
                .values(outcome=latest.outcome, decided_at=latest.decided_at)
            )
        _log.info("hit %d took over hit %d (the API person merged with its traveller)", hit_id, alone)

    def hits(
        self, *, flight_id: int | None = None, booking_id: int | None = None, limit: int = 1000
    ) -> list[StoredHit]:
        h = t.hits
        query = sa.select(h).order_by(h.c.priority, h.c.score.desc(), h.c.id).limit(limit)
        if flight_id is not None:
            query = query.where(h.c.flight_id == flight_id)
        if booking_id is not None:
            query = query.where(h.c.booking_id == booking_id)
        with self._read() as connection:
            return [stored_hit(row) for row in connection.execute(query)]

    def hit_count(self) -> int:
        with self._read() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(t.hits)).scalar_one())

    # --- audit -----------------------------------------------------------------------------------

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        document = dict(details or {})
        _dumps(document)  # refuse what is not JSON before anything is written
        return self._audited(
            lambda connection: self._append_event(
                connection, actor=actor, action=action, subject=subject, reason=reason, details=document
            ),
            "an audit event",
        )

    def _append_event(
        self,
        connection: Connection,
        *,
        actor: str,
        action: str,
        subject: str,
        reason: str | None,
        details: dict[str, Any],
    ) -> AuditEvent:
        """Chain an event onto the last one, in the caller's transaction.

        The head row is updated first: that takes its lock (a concurrent appender waits here until this
        transaction ends, then reads the head it left) and reads the head in one statement; the event and
        the head's new hash are written in one more (on PostgreSQL). The chain's unique constraints still
        refuse a fork (IntegrityError), should anything append without the head.
        """
        a, head = t.audit_events, t.audit_head
        advance = (
            sa.update(head)
            .where(head.c.id == 1)
            .values(seq=head.c.seq + 1)
            .returning(head.c.seq, head.c.hash)
        )
        last = connection.execute(advance).one_or_none()
        if last is None:  # the head row is gone: it is the last event's (as the migration made it)
            _restore_audit_head(connection)
            last = connection.execute(advance).one()
        event = AuditEvent(
            seq=last.seq,
            at=self._now(),
            actor=actor,
            action=action,
            subject=subject,
            reason=reason,
            details=details,
            prev_hash=last.hash,
        )
        event = replace(event, hash=event_hash(event))
        insert = sa.insert(a).values(
            seq=event.seq,
            at=event.at,
            actor=actor,
            action=action,
            subject=subject,
            reason=reason,
            details=details,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )
        set_hash = sa.update(head).where(head.c.id == 1).values(hash=event.hash)
        if connection.dialect.name == "postgresql":  # one round trip while the head is locked
            connection.execute(set_hash.add_cte(insert.cte("appended")))
        else:
            connection.execute(insert)
            connection.execute(set_hash)
        return event

    def events(self, *, after: int = 0, limit: int = 100) -> list[AuditEvent]:
        a = t.audit_events
        query = sa.select(a).where(a.c.seq > after).order_by(a.c.seq).limit(limit)
        with self._read() as connection:
            return [_audit_event(row) for row in connection.execute(query)]

    def find_events(self, query: AuditQuery) -> list[AuditEvent]:
        a = t.audit_events
        statement = (
            sa.select(a).order_by(a.c.seq.desc()).limit(max(0, query.limit)).offset(max(0, query.offset))
        )
        if query.actor:
            statement = statement.where(a.c.actor == query.actor)
        if query.action:
            statement = statement.where(a.c.action.startswith(query.action, autoescape=True))
        if query.subject:
            statement = statement.where(a.c.subject.startswith(query.subject, autoescape=True))
        if query.since is not None:
            statement = statement.where(a.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(a.c.at <= query.until)
        with self._read() as connection:
            return [_audit_event(row) for row in connection.execute(statement)]

    def verify(self) -> AuditCheck:
        a, head = t.audit_events, t.audit_head
        expected_seq, expected_prev, checked = 1, t.GENESIS_HASH, 0
        # in a transaction (not _read): the events are streamed by a server-side cursor on PostgreSQL
        with self._engine.connect() as connection:
            # The head first: events appended after it was read may follow; none before it may be missing.
            last = connection.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).one_or_none()
            rows = connection.execution_options(yield_per=1000).execute(sa.select(a).order_by(a.c.seq))
            for row in rows:
                event = _audit_event(row)
                problem = None
                if event.seq != expected_seq:
                    problem = f"expected event {expected_seq}, found {event.seq}: events are missing"
                elif event.prev_hash != expected_prev:
                    problem = "the link to the previous event does not match its hash"
                elif event.hash != event_hash(event):
                    problem = "the event's content does not match its hash: it was changed"
                elif last is not None and event.seq == last.seq and event.hash != last.hash:
                    problem = "the event is not the one the chain's head names: it was replaced"
                if problem is not None:
                    return AuditCheck(ok=False, events=checked, broken_at=event.seq, problem=problem)
                checked += 1
                expected_seq, expected_prev = event.seq + 1, event.hash
        if last is not None and checked < last.seq:
            return AuditCheck(
                ok=False,
                events=checked,
                broken_at=expected_seq,
                problem=f"the chain's head names event {last.seq}: the events after {checked} are missing",
            )
        return AuditCheck(ok=True, events=checked)


def _restore_audit_head(connection: Connection) -> None:
    """The head row, made again from the last event (or the genesis when there is none)."""
    a = t.audit_events
    last = connection.execute(sa.select(a.c.seq, a.c.hash).order_by(a.c.seq.desc()).limit(1)).one_or_none()
    connection.execute(
        sa.insert(t.audit_head).values(
            id=1, seq=0 if last is None else last.seq, hash=t.GENESIS_HASH if last is None else last.hash
        )
    )


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's canonical JSON, the previous event's hash included."""
    canonical = json.dumps(
        {
            "seq": event.seq,
            "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": event.actor,
            "action": event.action,
            "subject": event.subject,
            "reason": event.reason,
            "details": dict(event.details),
            "prev_hash": event.prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _encoded(parts: list[tuple[int, PnrPush]], encoded: Mapping[int, EncodedPush]) -> list[EncodedBooking]:
    """Every booking of the parts encoded for storing, in order: as encoded ahead, or encoded now."""
    splits: list[EncodedBooking] = []
    for mid, push in parts:
        ahead = encoded.get(mid)
        if ahead is None:
            splits.extend(encode_booking(booking) for booking in push.bookings)
        elif len(ahead.bookings) == len(push.bookings):
            splits.extend(ahead.bookings)
        else:
            raise ValueError(f"message {mid}: encoded {len(ahead.bookings)} bookings of {len(push.bookings)}")
    return splits


def _hour_of(connection: Connection, instant: sa.ColumnElement[datetime]) -> sa.ColumnElement[str]:
    """The UTC hour of an instant column as text, ``YYYY-MM-DD HH``, on either backend."""
    if connection.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", instant), "YYYY-MM-DD HH24")
    return sa.func.strftime("%Y-%m-%d %H", instant)  # SQLite keeps instants as naive UTC text


def _aware(value: datetime) -> datetime:
    # Message times are UTC by convention (see openpiu.model.utc); a naive one is read as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _name_key(surname: str | None) -> str | None:
    return None if surname is None else " ".join(surname.split()).upper()


def _operating_flight(flight: Flight) -> Flight:
    """The flight under its operating carrier's designator: codeshare pushes land on one flight."""
    if flight.operating_carrier and flight.operating_number:
        return replace(
            flight,
            carrier=flight.operating_carrier,
            number=flight.operating_number,
            operating_carrier=None,
            operating_number=None,
        )
    return flight


def _stored_traveller(row: Row[Any]) -> StoredTraveller:
    m = row._mapping  # see sql_review.stored_hit
    return StoredTraveller(
        id=m["id"],
        version_id=m["version_id"],
        booking_id=m["booking_id"],
        flight_date=m["flight_date"],
        position=m["position"],
        traveller=traveller_from_parts(m["record"], m["identity"]),
    )


def _inbox_message(row: Row[Any]) -> InboxMessage:
    return InboxMessage(
        id=row.id,
        content_hash=row.content_hash,
        sender=row.sender,
        channel=row.channel,
        size=row.size,
        received_at=row.received_at,
        last_received_at=row.last_received_at,
        deliveries=row.deliveries,
        state=MessageState(row.state),
        reason=row.reason,
        state_changed_at=row.state_changed_at,
        flight_date=row.flight_date,
        source=row.source,
    )


def _audit_event(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        reason=row.reason,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
