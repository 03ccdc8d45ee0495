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

Logs name message, flight and booking ids and counts, never personal data.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from openpiu.clock import Clock
from openpiu.model import Booking, Flight, PnrPush
from openpiu.store import schema as t
from openpiu.store.codec import from_json, join_booking, split_booking, to_json, traveller_from_parts
from openpiu.store.protocols import (
    TRANSITIONS,
    AuditCheck,
    AuditEvent,
    BookingCounts,
    BookingVersion,
    InboxMessage,
    InvalidTransition,
    MessageCounts,
    MessageState,
    NotFound,
    PushResult,
    Receipt,
    StateChange,
    Store,
    StoredBooking,
    StoredFlight,
    StoredTraveller,
    StoreError,
    UnstorablePush,
)

__all__ = ["SqlStore", "create_engine", "open_store", "upgrade"]

_log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE = "openpiu_write"  # execution option: this connection writes (SQLite: BEGIN IMMEDIATE)
_AUDIT_ATTEMPTS = 20


def create_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite: the folder created, WAL, foreign keys, a busy timeout."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, json_serializer=_dumps, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, json_serializer=_dumps)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off: "begin" below decides the kind of BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _insert(connection: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class SqlStore:
    """The storage contract on one SQLAlchemy engine. Thread-safe: each call uses its own connection."""

    def __init__(self, engine: Engine, *, clock: Clock) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{_WRITE: True})
        self._clock = clock

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            yield connection

    def _now(self) -> datetime:
        now = self._clock.now()
        if now.tzinfo is None:
            raise StoreError("the clock gave a naive datetime")
        return now.astimezone(UTC)

    # --- inbox -----------------------------------------------------------------------------------

    def receive(self, raw: bytes, *, sender: str, channel: str) -> Receipt:
        digest = hashlib.sha256(raw).hexdigest()
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
            row = connection.execute(
                sa.update(m)
                .where(m.c.content_hash == digest)
                .values(deliveries=m.c.deliveries + 1, last_received_at=now)
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
        m = t.messages
        now = self._now()
        with self._write() as connection:
            row = connection.execute(sa.select(m).where(m.c.id == message_id).with_for_update()).one_or_none()
            if row is None:
                raise NotFound(f"no message {message_id}")
            current = MessageState(row.state)
            if current is state:
                return _inbox_message(row)  # a repeated step (e.g. after a crash) changes nothing
            if state not in TRANSITIONS[current]:
                raise InvalidTransition(
                    f"message {message_id} is {current.value}; it cannot become {state.value}"
                )
            kept_reason = reason if state is MessageState.QUARANTINED else None
            updated = connection.execute(
                sa.update(m)
                .where(m.c.id == message_id)
                .values(state=state.value, reason=kept_reason, state_changed_at=now)
                .returning(*m.c)
            ).one()
            connection.execute(
                sa.insert(t.message_states).values(
                    message_id=message_id, state=state.value, reason=kept_reason, at=now
                )
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
        return MessageCounts(by_state=by_state, duplicates=duplicates)

    # --- flights and bookings --------------------------------------------------------------------

    def store_push(self, message_id: int, push: PnrPush) -> PushResult:
        flight = push.flight
        if flight is None:
            raise UnstorablePush(f"message {message_id}: the push names no flight")
        if flight.departure is None:
            raise UnstorablePush(f"message {message_id}: flight {flight.designator} has no departure date")
        flight_date = flight.departure.local.date()
        origin = flight.origin or ""
        now = self._now()
        m, f, b, v = t.messages, t.flights, t.bookings, t.booking_versions
        with self._write() as connection:
            message = connection.execute(
                sa.select(m.c.received_at, m.c.flight_date).where(m.c.id == message_id).with_for_update()
            ).one_or_none()
            if message is None:
                raise NotFound(f"no message {message_id}")
            if message.flight_date is not None:  # stored before: a retry after a crash, or a second worker
                return self._stored_result(connection, message_id)
            prepared = push.header.prepared_at
            pushed_at = message.received_at if prepared is None else _aware(prepared)

            connection.execute(
                _insert(connection, f)
                .values(
                    carrier=flight.carrier,
                    number=flight.number,
                    origin=origin,
                    flight_date=flight_date,
                    record=to_json(flight),
                    push_count=0,
                    first_message_id=message_id,
                    last_message_id=message_id,
                    last_pushed_at=pushed_at,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["carrier", "number", "flight_date", "origin"])
            )
            flight_row = connection.execute(
                sa.select(f.c.id, f.c.last_pushed_at)
                .where(
                    f.c.carrier == flight.carrier,
                    f.c.number == flight.number,
                    f.c.flight_date == flight_date,
                    f.c.origin == origin,
                )
                .with_for_update()
            ).one()
            flight_id = flight_row.id
            flight_values: dict[str, Any] = {"push_count": f.c.push_count + 1, "updated_at": now}
            if pushed_at >= flight_row.last_pushed_at:  # an older push arriving late does not win
                flight_values |= {
                    "record": to_json(flight),
                    "destination": flight.destination,
                    "departure_utc": flight.departure.utc,
                    "last_message_id": message_id,
                    "last_pushed_at": pushed_at,
                }
            connection.execute(sa.update(f).where(f.c.id == flight_id).values(**flight_values))
            connection.execute(sa.update(m).where(m.c.id == message_id).values(flight_date=flight_date))

            keys = [
                booking.locator or f"~{message_id}/{position}"
                for position, booking in enumerate(push.bookings)
            ]
            if keys:
                connection.execute(
                    _insert(connection, b).on_conflict_do_nothing(
                        index_elements=["flight_id", "booking_key"]
                    ),
                    [
                        {
                            "flight_id": flight_id,
                            "flight_date": flight_date,
                            "booking_key": key,
                            "locator": booking.locator,
                            "version_count": 0,
                            "cancelled": False,
                            "updated_at": now,
                        }
                        for key, booking in dict(zip(keys, push.bookings, strict=True)).items()
                    ],
                )
            state = {
                row.booking_key: row
                for row in connection.execute(
                    sa.select(b.c.id, b.c.booking_key, b.c.version_count, b.c.current_pushed_at)
                    .where(b.c.flight_id == flight_id, b.c.booking_key.in_(set(keys)) if keys else sa.false())
                    .order_by(b.c.id)
                    .with_for_update()
                )
            }
            new_bookings = sum(1 for key in set(keys) if state[key].version_count == 0)
            counts = {key: state[key].version_count for key in keys}
            splits = [split_booking(booking) for booking in push.bookings]
            version_rows = []
            for position, (key, booking, split) in enumerate(zip(keys, push.bookings, splits, strict=True)):
                counts[key] += 1
                version_rows.append(
                    {
                        "booking_id": state[key].id,
                        "flight_id": flight_id,
                        "flight_date": flight_date,
                        "version": counts[key],
                        "message_id": message_id,
                        "part": push.header.part,
                        "position": position,
                        "function": push.function,
                        "cancelled": booking.cancelled,
                        "locator": booking.locator,
                        "pushed_at": pushed_at,
                        "stored_at": now,
                        "record": split.public,
                    }
                )
            version_ids: list[int] = []
            if version_rows:
                version_ids = list(
                    connection.execute(
                        sa.insert(v).returning(v.c.id, sort_by_parameter_order=True), version_rows
                    ).scalars()
                )
                connection.execute(
                    sa.insert(t.booking_identities),
                    [
                        {"version_id": vid, "flight_date": flight_date, "record": split.identity}
                        for vid, split in zip(version_ids, splits, strict=True)
                    ],
                )
            self._insert_travellers(connection, version_rows, version_ids, splits, push.bookings)

            # The current version of each booking: its latest by push time (ties: the later stored).
            current: dict[str, dict[str, Any]] = {}
            for key, row, vid, booking in zip(keys, version_rows, version_ids, push.bookings, strict=True):
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
                {**e, "updated_at": now} for e in current.values() if e["current_version_id"] is not None
            ]
            counted = [
                {"b_id": e["b_id"], "version_count": e["version_count"], "updated_at": now}
                for e in current.values()
                if e["current_version_id"] is None
            ]
            if changed:
                connection.execute(
                    sa.update(b)
                    .where(b.c.id == sa.bindparam("b_id"))
                    .values(
                        current_version_id=sa.bindparam("current_version_id"),
                        current_pushed_at=sa.bindparam("current_pushed_at"),
                        cancelled=sa.bindparam("cancelled"),
                        version_count=sa.bindparam("version_count"),
                        updated_at=sa.bindparam("updated_at"),
                    ),
                    changed,
                )
            if counted:
                connection.execute(
                    sa.update(b)
                    .where(b.c.id == sa.bindparam("b_id"))
                    .values(
                        version_count=sa.bindparam("version_count"), updated_at=sa.bindparam("updated_at")
                    ),
                    counted,
                )
        result = PushResult(
            message_id=message_id,
            flight_id=flight_id,
            flight_date=flight_date,
            versions=len(version_rows),
            new_bookings=new_bookings,
            cancelled=sum(1 for booking in push.bookings if booking.cancelled),
        )
        _log.info(
            "message %d stored on flight %d: %d versions, %d new bookings, %d cancelled",
            message_id,
            flight_id,
            result.versions,
            result.new_bookings,
            result.cancelled,
        )
        return result

    def _insert_travellers(
        self,
        connection: Connection,
        version_rows: list[dict[str, Any]],
        version_ids: list[int],
        splits: list[Any],
        pushed: tuple[Booking, ...],
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
        ids = connection.execute(
            sa.insert(tr).returning(tr.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        connection.execute(
            sa.insert(t.traveller_identities),
            [{"traveller_id": tid, **identity} for tid, identity in zip(ids, identities, strict=True)],
        )

    def _stored_result(self, connection: Connection, message_id: int) -> PushResult:
        v = t.booking_versions
        row = connection.execute(
            sa.select(
                t.messages.c.flight_date,
                sa.select(sa.func.count()).where(v.c.message_id == message_id).scalar_subquery(),
                sa.select(sa.func.count())
                .where(v.c.message_id == message_id, v.c.cancelled)
                .scalar_subquery(),
                sa.select(sa.func.min(v.c.flight_id)).where(v.c.message_id == message_id).scalar_subquery(),
            ).where(t.messages.c.id == message_id)
        ).one()
        flight_id = row[3]
        if flight_id is None:  # a push without bookings: find its flight by the message
            flight_id = connection.execute(
                sa.select(sa.func.max(t.flights.c.id)).where(
                    sa.or_(
                        t.flights.c.last_message_id == message_id, t.flights.c.first_message_id == message_id
                    )
                )
            ).scalar()
        _log.info("message %d was stored before; nothing added", message_id)
        return PushResult(
            message_id=message_id,
            flight_id=int(flight_id or 0),
            flight_date=row[0],
            versions=int(row[1]),
            new_bookings=0,
            cancelled=int(row[2]),
            already_stored=True,
        )

    def find_flights(
        self, *, flight_date: date, carrier: str | None = None, number: str | None = None
    ) -> list[StoredFlight]:
        f = t.flights
        query = sa.select(f).where(f.c.flight_date == flight_date).order_by(f.c.carrier, f.c.number, f.c.id)
        if carrier is not None:
            query = query.where(f.c.carrier == carrier)
        if number is not None:
            query = query.where(f.c.number == number)
        with self._read() as connection:
            return [
                StoredFlight(
                    id=row.id,
                    flight_date=row.flight_date,
                    flight=from_json(Flight, row.record),
                    push_count=row.push_count,
                    first_message_id=row.first_message_id,
                    last_message_id=row.last_message_id,
                    last_pushed_at=row.last_pushed_at,
                )
                for row in connection.execute(query)
            ]

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
                v.c.record,
                i.c.record.label("identity"),
            )
            .select_from(b.join(v, v.c.id == b.c.current_version_id).join(i, i.c.version_id == v.c.id))
            .where(where)
            .order_by(b.c.id)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
            travellers = self._travellers(
                connection, t.travellers.c.version_id.in_(sa.select(b.c.current_version_id).where(where))
            )
        return [
            StoredBooking(
                id=row.id,
                flight_id=row.flight_id,
                flight_date=row.flight_date,
                locator=row.locator,
                version=row.version,
                version_id=row.version_id,
                versions=row.version_count,
                cancelled=row.cancelled,
                message_id=row.message_id,
                part=row.part,
                booking=join_booking(row.record, row.identity, travellers.get(row.version_id, [])),
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
        for row in connection.execute(query):
            grouped[row.version_id].append((row.record, row.identity))
        return grouped

    def versions(self, booking_id: int) -> list[BookingVersion]:
        v, i = t.booking_versions, t.booking_identities
        query = (
            sa.select(v, i.c.record.label("identity"))
            .select_from(v.join(i, i.c.version_id == v.c.id))
            .where(v.c.booking_id == booking_id)
            .order_by(v.c.version)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
            travellers = self._travellers(connection, t.travellers.c.booking_id == booking_id)
        return [
            BookingVersion(
                id=row.id,
                booking_id=row.booking_id,
                version=row.version,
                message_id=row.message_id,
                part=row.part,
                position=row.position,
                function=row.function,
                cancelled=row.cancelled,
                pushed_at=row.pushed_at,
                stored_at=row.stored_at,
                booking=join_booking(row.record, row.identity, travellers.get(row.id, [])),
            )
            for row in rows
        ]

    def travellers_named(self, surname: str, *, current_only: bool = True) -> list[StoredTraveller]:
        tr, ti, b = t.travellers, t.traveller_identities, t.bookings
        joined = tr.join(ti, ti.c.traveller_id == tr.c.id)
        if current_only:
            joined = joined.join(b, b.c.current_version_id == tr.c.version_id)
        query = (
            sa.select(tr, ti.c.record.label("identity"))
            .select_from(joined)
            .where(ti.c.surname_key == _name_key(surname))
            .order_by(tr.c.id)
        )
        with self._read() as connection:
            return [
                StoredTraveller(
                    id=row.id,
                    version_id=row.version_id,
                    booking_id=row.booking_id,
                    flight_date=row.flight_date,
                    position=row.position,
                    traveller=traveller_from_parts(row.record, row.identity),
                )
                for row in connection.execute(query)
            ]

    def booking_counts(self) -> BookingCounts:
        def count(table: sa.Table) -> sa.ScalarSelect[int]:
            return sa.select(sa.func.count()).select_from(table).scalar_subquery()

        with self._read() as connection:
            row = connection.execute(
                sa.select(count(t.flights), count(t.bookings), count(t.booking_versions), count(t.travellers))
            ).one()
        return BookingCounts(flights=row[0], bookings=row[1], booking_versions=row[2], travellers=row[3])

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
        a = t.audit_events
        document = dict(details or {})
        _dumps(document)  # refuse what is not JSON before anything is written
        for _attempt in range(_AUDIT_ATTEMPTS):
            try:
                with self._write() as connection:
                    last = connection.execute(
                        sa.select(a.c.seq, a.c.hash).order_by(a.c.seq.desc()).limit(1).with_for_update()
                    ).one_or_none()
                    event = AuditEvent(
                        seq=1 if last is None else last.seq + 1,
                        at=self._now(),
                        actor=actor,
                        action=action,
                        subject=subject,
                        reason=reason,
                        details=document,
                        prev_hash=t.GENESIS_HASH if last is None else last.hash,
                    )
                    event = replace(event, hash=event_hash(event))
                    connection.execute(
                        sa.insert(a).values(
                            seq=event.seq,
                            at=event.at,
                            actor=actor,
                            action=action,
                            subject=subject,
                            reason=reason,
                            details=document,
                            prev_hash=event.prev_hash,
                            hash=event.hash,
                        )
                    )
                return event
            except IntegrityError:
                continue  # another writer took this sequence number; chain onto its event
        raise StoreError(f"could not append an audit event after {_AUDIT_ATTEMPTS} attempts")

    def events(self, *, after: int = 0, limit: int = 100) -> list[AuditEvent]:
        a = t.audit_events
        query = sa.select(a).where(a.c.seq > after).order_by(a.c.seq).limit(limit)
        with self._read() as connection:
            return [_audit_event(row) for row in connection.execute(query)]

    def verify(self) -> AuditCheck:
        a = t.audit_events
        expected_seq, expected_prev, checked = 1, t.GENESIS_HASH, 0
        with self._read() as connection:
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
                if problem is not None:
                    return AuditCheck(ok=False, events=checked, broken_at=event.seq, problem=problem)
                checked += 1
                expected_seq, expected_prev = event.seq + 1, event.hash
        return AuditCheck(ok=True, events=checked)


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


def _aware(value: datetime) -> datetime:
    # Message times are UTC by convention (see openpiu.model.utc); a naive one is read as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _name_key(surname: str | None) -> str | None:
    return None if surname is None else " ".join(surname.split()).upper()


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
