"""The storage contract, run on every backend: SQLite always, PostgreSQL when reachable (mandatory in CI).

PostgreSQL: ``OPENPIU_TEST_POSTGRES_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/test``. Each test
gets a schema of its own (via ``search_path``), dropped afterwards; SQLite gets a file in a temporary folder.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)

from openpiu.clock import FixedClock
from openpiu.model import CheckIn, Gender, PnrPush, ServiceItem
from openpiu.store import (
    InvalidTransition,
    MessageState,
    NotFound,
    Store,
    StoreError,
    UnstorablePush,
    create_engine,
    open_store,
    sql_base,
    upgrade,
)
from openpiu.store.schema import UNCHECKED_ON_POSTGRESQL, metadata
from openpiu.synth.corpus import demo_push

START = datetime(2025, 2, 1, 9, 30, tzinfo=UTC)


@functools.cache
def full_push() -> PnrPush:
    return demo_push(seed=7, bookings=30)


def update_of(push: PnrPush) -> PnrPush:
    """An update push a day later: booking 2 changed (one traveller left), booking 3 cancelled, one new."""
    first, second = push.bookings[1], push.bookings[2]
    changed = dataclasses.replace(
        first,
        travellers=first.travellers[:1],
        last_changed_at=(first.last_changed_at or START) + timedelta(hours=1),
    )
    cancelled = dataclasses.replace(second, cancelled=True)
    newcomer = dataclasses.replace(demo_push(seed=8, bookings=1).bookings[0], locator="NEWBK1")
    assert push.header.prepared_at is not None
    header = dataclasses.replace(
        push.header, message_ref="2", prepared_at=push.header.prepared_at + timedelta(days=1)
    )
    return dataclasses.replace(
        push, header=header, function="141", bookings=(changed, cancelled, newcomer), declared_bookings=3
    )


def received(store: Store, push: PnrPush, tag: str) -> int:
    """A message id for a push (its bytes stand in for the EDIFACT the pipeline would have received)."""
    return store.receive(f"{tag}:{push.header.message_ref}".encode(), sender="1A", channel="test").message_id


# --- migrations ----------------------------------------------------------------------------------


def test_migrations_apply_from_empty_and_match_the_schema(url: str, clock: FixedClock) -> None:
    with pytest.raises(StoreError, match="openpiu db upgrade"):
        open_store(url, clock=clock)
    upgrade(url)
    upgrade(url)  # a second run finds nothing to do
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
            # PostgreSQL lacks exactly the foreign keys the store checks instead (migration 0022).
            unchecked = {(d[1].table.name, *d[1].column_keys) for d in differences if d[0] == "add_fk"}
            expected = UNCHECKED_ON_POSTGRESQL if connection.dialect.name == "postgresql" else set()
            assert unchecked == expected
            assert [d for d in differences if d[0] != "add_fk"] == []
            tables = set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert {t.name for t in metadata.sorted_tables} <= tables
    open_store(url, clock=clock).close()


def test_sqlite_runs_in_wal_with_foreign_keys_and_checkpoints_far_apart(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/nested/folder/openpiu.db"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
            # checkpoints far apart: each copies every page it covers and waits for the disk
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 100_000
    finally:
        engine.dispose()


def test_sqlite_syncs_every_commit_but_those_of_steps_done_again_after_a_power_cut(tmp_path: object) -> None:
    """A receipt waits for the disk (acknowledged means kept); the steps after it (derived from the kept
    message, taken up again by resume) only survive a crash of the process: WAL with synchronous=NORMAL."""
    from openpiu.store.sql import _DERIVED, _WRITE

    url = f"sqlite:///{tmp_path}/openpiu.db"
    upgrade(url)
    engine = create_engine(url)
    full, normal = 2, 1
    try:
        derived = engine.execution_options(**{_WRITE: True, _DERIVED: True})
        for options, expected in (
            ({_WRITE: True}, full),
            ({_WRITE: True, _DERIVED: True}, normal),
            ({}, full),
        ):
            with engine.execution_options(**options).begin() as connection:
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == expected, options
        with derived.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == normal
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == full
    finally:
        engine.dispose()


# --- inbox ---------------------------------------------------------------------------------------


def test_identical_redeliveries_are_counted_not_stored_twice(store: Store, clock: FixedClock) -> None:
    raw = b"UNA:+.? 'UNB+IATA:1+1A+PIU'"
    first = store.receive(raw, sender="1A", channel="folder")
    clock.advance(timedelta(minutes=5))
    again = store.receive(raw, sender="1A", channel="http")
    other = store.receive(raw + b"x", sender="1A", channel="folder")

    assert first.content_hash == hashlib.sha256(raw).hexdigest()
    assert not first.duplicate
    assert first.deliveries == 1
    assert again.duplicate
    assert again.message_id == first.message_id
    assert again.deliveries == 2
    assert other.message_id != first.message_id
    assert store.raw(first.message_id) == raw
    message = store.message(first.message_id)
    assert message is not None
    assert (message.sender, message.channel, message.size) == ("1A", "folder", len(raw))
    assert message.received_at == START
    assert message.last_received_at == START + timedelta(minutes=5)
    counts = store.message_counts()
    assert counts.by_state[MessageState.RECEIVED] == 2
    assert counts.duplicates == 1
    assert counts.total == 2
    assert store.message(999_999) is None
    assert store.raw(999_999) is None


def test_messages_move_through_the_states(store: Store, clock: FixedClock) -> None:
    message_id = store.receive(b"one", sender="1A", channel="folder").message_id
    for state in (MessageState.PARSED, MessageState.STORED, MessageState.SCREENED):
        clock.advance(timedelta(seconds=1))
        moved = store.advance(message_id, state)
        assert moved.state is state
        assert moved.state_changed_at == clock.now()
    assert store.advance(message_id, MessageState.SCREENED).state is MessageState.SCREENED  # repeat: no-op
    assert [c.state for c in store.history(message_id)] == [
        MessageState.RECEIVED,
        MessageState.PARSED,
        MessageState.STORED,
        MessageState.SCREENED,
    ]
    with pytest.raises(InvalidTransition, match="screened"):
        store.advance(message_id, MessageState.QUARANTINED, reason="too late")
    assert store.messages(MessageState.SCREENED)[0].id == message_id


def test_quarantine_keeps_a_reason_and_can_be_retried(store: Store) -> None:
    message_id = store.receive(b"broken", sender="1A", channel="folder").message_id
    with pytest.raises(InvalidTransition):
        store.advance(message_id, MessageState.STORED)  # parsing comes first
    with pytest.raises(ValueError, match="reason"):
        store.advance(message_id, MessageState.QUARANTINED)
    reason = "segment 4 (TIF): expected a surname, found nothing"
    quarantined = store.advance(message_id, MessageState.QUARANTINED, reason=reason)
    assert quarantined.reason == reason
    assert [m.id for m in store.messages(MessageState.QUARANTINED)] == [message_id]
    assert store.history(message_id)[-1].reason == reason
    retried = store.advance(message_id, MessageState.RECEIVED)
    assert retried.reason is None
    assert store.messages(MessageState.QUARANTINED) == []
    with pytest.raises(NotFound):
        store.advance(424242, MessageState.PARSED)


def test_messages_are_listed_by_state_in_pages(store: Store) -> None:
    ids = [store.receive(f"m{i}".encode(), sender="1A", channel="folder").message_id for i in range(5)]
    store.advance(ids[2], MessageState.PARSED)
    page = store.messages(MessageState.RECEIVED, limit=2)
    assert [m.id for m in page] == [ids[0], ids[1]]
    rest = store.messages(MessageState.RECEIVED, after=page[-1].id, limit=10)
    assert [m.id for m in rest] == [ids[3], ids[4]]
    assert [m.id for m in store.messages(MessageState.PARSED)] == [ids[2]]


def test_the_inbox_is_counted_per_hour_and_sender(store: Store, clock: FixedClock) -> None:
    hour = START.replace(minute=0)  # 09:00 UTC; the clock is at 09:30
    a1 = store.receive(b"one", sender="1A", channel="http").message_id
    store.receive(b"two", sender="1A", channel="http")
    store.receive(b"one", sender="1A", channel="http")  # a re-delivery: not received again
    lh = store.receive(b"three", sender="LH", channel="folder").message_id
    clock.advance(timedelta(minutes=40))  # 10:10
    store.advance(a1, MessageState.PARSED)
    store.advance(a1, MessageState.STORED)
    store.advance(lh, MessageState.QUARANTINED, reason="UNB segment missing")
    clock.advance(timedelta(hours=2))  # 12:10: retried and stored
    store.advance(lh, MessageState.RECEIVED)
    store.advance(lh, MessageState.PARSED)
    store.advance(lh, MessageState.STORED)

    found = store.inbox_hours(hour, hour + timedelta(hours=24))
    assert [(h.hour - hour, h.sender, h.received, h.stored, h.quarantined) for h in found] == [
        (timedelta(0), "1A", 2, 0, 0),
        (timedelta(0), "LH", 1, 0, 0),
        (timedelta(hours=1), "1A", 0, 1, 0),
        (timedelta(hours=1), "LH", 0, 0, 1),
        (timedelta(hours=3), "LH", 0, 1, 0),
    ]
    assert all(h.hour.tzinfo is UTC for h in found)
    # From (inclusive) until (exclusive), to the microsecond.
    later = store.inbox_hours(hour + timedelta(hours=1, minutes=10), hour + timedelta(hours=3, minutes=10))
    assert [(h.sender, h.stored, h.quarantined) for h in later] == [("1A", 1, 0), ("LH", 0, 1)]
    assert store.inbox_hours(hour - timedelta(days=1), hour) == []


# --- bookings ------------------------------------------------------------------------------------


def test_a_full_push_then_an_update(store: Store, clock: FixedClock) -> None:
    push = full_push()
    update = update_of(push)
    first_id = received(store, push, "full")
    stored = store.store_push(first_id, push)
    assert stored.versions == stored.new_bookings == len(push.bookings)
    assert not stored.already_stored

    clock.advance(timedelta(days=1))
    second_id = received(store, update, "update")
    result = store.store_push(second_id, update)
    assert (result.versions, result.new_bookings, result.cancelled) == (3, 1, 1)
    assert result.flight_id == stored.flight_id

    assert push.flight is not None
    [flight] = store.find_flights(flight_date=stored.flight_date)
    assert flight.flight == push.flight
    assert (flight.push_count, flight.first_message_id, flight.last_message_id) == (2, first_id, second_id)

    current = {b.locator: b for b in store.current_bookings(stored.flight_id)}
    assert len(current) == len(push.bookings) + 1
    changed, cancelled, newcomer = update.bookings
    assert current[changed.locator].booking == changed
    assert current[changed.locator].version == 2
    assert current[changed.locator].message_id == second_id
    assert current[cancelled.locator].cancelled
    assert current["NEWBK1"].version == 1
    assert current["NEWBK1"].booking == newcomer
    untouched = push.bookings[5]
    assert current[untouched.locator].booking == untouched
    assert current[untouched.locator].message_id == first_id
    open_only = store.current_bookings(stored.flight_id, include_cancelled=False)
    assert cancelled.locator not in {b.locator for b in open_only}
    assert len(open_only) == len(push.bookings)

    versions = store.versions(current[changed.locator].id)
    assert [v.version for v in versions] == [1, 2]
    assert [v.booking for v in versions] == [push.bookings[1], changed]
    assert [v.message_id for v in versions] == [first_id, second_id]
    assert [v.function for v in versions] == ["22", "141"]
    assert versions[0].position == 1
    assert [v.cancelled for v in store.versions(current[cancelled.locator].id)] == [False, True]

    counts = store.booking_counts()
    assert counts.flights == 1
    assert counts.bookings == len(push.bookings) + 1
    assert counts.booking_versions == len(push.bookings) + 3
    total_travellers = sum(len(b.travellers) for b in (*push.bookings, *update.bookings))
    assert counts.travellers == total_travellers
    stored_message = store.message(second_id)
    assert stored_message is not None
    assert stored_message.flight_date == stored.flight_date


def test_a_flights_manifest_is_its_current_travellers_by_summary(store: Store) -> None:
    push = full_push()
    result = store.store_push(received(store, push, "full"), push)
    store.store_push(received(store, update_of(push), "update"), update_of(push))
    manifest = store.flight_manifest(result.flight_id)
    bookings = store.current_bookings(result.flight_id)
    current = [b for b in bookings if not b.cancelled]
    assert manifest.cancelled_bookings == len(bookings) - len(current) == 1
    assert [(b.id, b.locator) for b in manifest.bookings] == [(b.id, b.locator) for b in current]
    for summary, whole in zip(manifest.bookings, current, strict=True):
        # each segment's flight and check-ins (with the names kept apart from the itinerary)
        assert [(s.flight, s.check_ins) for s in summary.segments] == [
            (s.flight, s.check_ins) for s in whole.booking.segments
        ]
    travellers = store.current_travellers(result.flight_id)
    listed = [(t.id, t.booking_id, t.position, t.ref, t.surname, t.given_names) for t in manifest.travellers]
    assert listed == [
        (t.id, t.booking_id, t.position, t.traveller.ref, t.traveller.surname, t.traveller.given_names)
        for t in travellers
    ]
    assert all(t.key == (t.ref or f"#{t.position}") for t in manifest.travellers)
    assert any(c.surname for b in manifest.bookings for s in b.segments for c in s.check_ins)
    empty = store.flight_manifest(10**9)
    assert (empty.bookings, empty.travellers, empty.cancelled_bookings) == ([], [], 0)


def test_a_late_older_push_is_kept_but_does_not_become_current(store: Store) -> None:
    push = full_push()
    update = update_of(push)
    store.store_push(received(store, update, "update"), update)
    store.store_push(received(store, push, "full"), push)
    [booking] = store.bookings_by_locator(update.bookings[0].locator or "")
    assert booking.booking == update.bookings[0]
    assert booking.versions == 2
    assert [v.booking for v in store.versions(booking.id)] == [update.bookings[0], push.bookings[1]]
    assert push.flight is not None
    [flight] = store.find_flights(flight_date=push.flight.departure.local.date())  # type: ignore[union-attr]
    assert flight.push_count == 2


def test_storing_a_message_again_adds_nothing(store: Store) -> None:
    push = full_push()
    message_id = received(store, push, "full")
    first = store.store_push(message_id, push)
    before = store.booking_counts()
    again = store.store_push(message_id, push)
    assert again.already_stored
    assert (again.flight_id, again.versions, again.flight_date) == (
        first.flight_id,
        first.versions,
        first.flight_date,
    )
    assert store.booking_counts() == before


def test_a_push_without_flight_or_date_cannot_be_stored(store: Store) -> None:
    push = full_push()
    assert push.flight is not None
    message_id = received(store, push, "bad")
    with pytest.raises(UnstorablePush, match="no flight"):
        store.store_push(message_id, dataclasses.replace(push, flight=None))
    with pytest.raises(UnstorablePush, match="no departure"):
        store.store_push(
            message_id, dataclasses.replace(push, flight=dataclasses.replace(push.flight, departure=None))
        )
    with pytest.raises(NotFound):
        store.store_push(777_777, push)
    assert store.booking_counts().booking_versions == 0


def test_bookings_without_locator_are_kept_apart(store: Store) -> None:
    push = full_push()
    anonymous = dataclasses.replace(
        push, bookings=tuple(dataclasses.replace(b, locator=None) for b in push.bookings[:3])
    )
    result = store.store_push(received(store, anonymous, "anon"), anonymous)
    assert result.new_bookings == 3
    assert [b.booking for b in store.current_bookings(result.flight_id)] == list(anonymous.bookings)


def test_queries_by_flight_locator_and_name(store: Store) -> None:
    push = full_push()
    update = update_of(push)
    result = store.store_push(received(store, push, "full"), push)
    store.store_push(received(store, update, "update"), update)
    assert push.flight is not None
    carrier, number = push.flight.carrier, push.flight.number
    assert [
        f.id for f in store.find_flights(flight_date=result.flight_date, carrier=carrier, number=number)
    ] == [result.flight_id]
    assert store.find_flights(flight_date=result.flight_date, carrier="ZZ") == []
    assert store.find_flights(flight_date=result.flight_date + timedelta(days=1)) == []

    booking = push.bookings[3]
    [found] = store.bookings_by_locator(booking.locator or "")
    assert found.booking == booking
    assert store.booking(found.id) == found
    assert store.booking(10**9) is None
    assert store.bookings_by_locator("NOSUCH") == []
    other = store.bookings_by_locator(push.bookings[0].locator or "")[0]
    assert store.bookings_by_ids([found.id, 10**9, other.id, found.id]) == sorted(
        [found, other], key=lambda stored: stored.id
    )
    assert store.bookings_by_ids([]) == []

    assert len(push.bookings[1].travellers) > 1
    dropped = push.bookings[1].travellers[-1]  # the update keeps only the first traveller
    named = store.travellers_named(booking.travellers[0].surname.lower())
    assert booking.travellers[0] in [t.traveller for t in named]
    assert all(t.traveller.surname.upper() == booking.travellers[0].surname.upper() for t in named)
    everyone = [t.traveller for t in store.travellers_named(dropped.surname, current_only=False)]
    current = [t.traveller for t in store.travellers_named(dropped.surname)]
    assert dropped in everyone
    assert dropped not in current
    assert store.travellers_named("NOBODY-AT-ALL") == []


def test_identifying_fields_live_apart_from_the_rest(store: Store, engine: sa.Engine) -> None:
    push = full_push()
    store.store_push(received(store, push, "full"), push)
    secrets: set[str] = set()
    for booking in push.bookings:
        for traveller in booking.travellers:
            secrets.add(traveller.surname)
            secrets.update(d.number for d in traveller.documents if d.number)
            secrets.update(c.value for c in traveller.contacts)
    public = " ".join(
        text
        for table in ("booking_versions", "travellers", "bookings", "flights")
        for text in _json_texts(engine, table)
    )
    # Whole words only: a short surname may well be part of some code.
    leaked = sorted(s for s in secrets if re.search(rf"\b{re.escape(s)}\b", public))
    assert leaked == []
    private = " ".join(_json_texts(engine, "traveller_identities"))
    assert all(s in private for s in secrets)


def _json_texts(engine: sa.Engine, table: str) -> list[str]:
    """Every value of every row of ``table`` as text (JSON documents as JSON)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(metadata.tables[table])).all()
    return [
        json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
        for row in rows
        for value in row
    ]


# --- audit ---------------------------------------------------------------------------------------


def test_audit_chain_verifies_and_detects_tampering(
    store: Store, engine: sa.Engine, clock: FixedClock
) -> None:
    assert store.verify().ok
    events = []
    for n in range(5):
        clock.advance(timedelta(seconds=1))
        events.append(
            store.record(
                actor="analyst:7",
                action="decide",
                subject=f"hit:{n}",
                reason="name and date of birth differ",
                details={"decision": "false_positive", "n": n},
            )
        )
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    assert store.events() == events
    assert store.events(after=3, limit=1) == [events[3]]
    check = store.verify()
    assert (check.ok, check.events) == (True, 5)

    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 3"))
    check = store.verify()
    assert not check.ok
    assert check.broken_at == 3
    assert check.events == 2
    assert "changed" in (check.problem or "")

    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET reason = :r WHERE seq = 3"),
            {"r": "name and date of birth differ"},
        )
    assert store.verify().ok
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE seq = 4"))
    check = store.verify()
    assert (check.ok, check.broken_at) == (False, 5)


def test_audit_verify_finds_events_cut_from_the_end(store: Store, engine: sa.Engine) -> None:
    for n in range(4):
        store.record(actor="analyst:7", action="hit.read", subject=f"hit:{n}")
    assert store.verify().ok
    # The last events deleted leave a chain that holds together: its head row still names event 4.
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE seq >= 3"))
    check = store.verify()
    assert (check.ok, check.events, check.broken_at) == (False, 2, 3)
    assert "missing" in (check.problem or "")


def test_audit_head_lost_is_made_again_from_the_last_event(store: Store, engine: sa.Engine) -> None:
    first = store.record(actor="a", action="b", subject="c")
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_head"))
    second = store.record(actor="a", action="b", subject="d")
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert store.verify().ok


def test_audit_details_must_be_json(store: Store) -> None:
    with pytest.raises(TypeError):
        store.record(actor="a", action="b", subject="c", details={"when": object()})
    assert store.events() == []


# --- time ----------------------------------------------------------------------------------------


def test_instants_are_utc_aware_in_and_out(store: Store, clock: FixedClock) -> None:
    elsewhere = datetime(2025, 6, 1, 23, 45, 12, 345678, tzinfo=timezone(timedelta(hours=-5)))
    clock.set(elsewhere)
    message = store.message(store.receive(b"t", sender="1A", channel="x").message_id)
    event = store.record(actor="a", action="b", subject="c")
    assert message is not None
    for instant in (message.received_at, message.state_changed_at, event.at, store.events()[0].at):
        assert instant == elsewhere
        assert instant.tzinfo is UTC
    push = full_push()
    result = store.store_push(received(store, push, "full"), push)
    [flight] = store.find_flights(flight_date=result.flight_date)
    assert flight.last_pushed_at == push.header.prepared_at
    assert flight.last_pushed_at.tzinfo is UTC
    [version] = store.versions(store.current_bookings(result.flight_id)[0].id)
    assert version.stored_at == elsewhere
    assert version.booking == push.bookings[0]  # aware and naive times inside records are kept as they were


# --- concurrency ---------------------------------------------------------------------------------


def test_concurrent_redeliveries_are_idempotent(store: Store) -> None:
    raw = b"the same push, sent by three routers at once"
    with ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(lambda _: store.receive(raw, sender="1A", channel="amqp"), range(16)))
    assert len({r.message_id for r in receipts}) == 1
    assert sum(not r.duplicate for r in receipts) == 1
    assert sorted(r.deliveries for r in receipts) == list(range(1, 17))
    counts = store.message_counts()
    assert (counts.total, counts.duplicates) == (1, 15)

    push = full_push()
    message_id = receipts[0].message_id
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: store.store_push(message_id, push), range(4)))
    assert sum(not r.already_stored for r in results) == 1
    assert store.booking_counts().booking_versions == len(push.bookings)
    assert all(b.versions == 1 for b in store.current_bookings(results[0].flight_id))


def test_concurrent_audit_appends_keep_one_chain(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Appenders wait for each other on the chain's head: none loses a race and has to try again.
    monkeypatch.setattr(sql_base, "AUDIT_ATTEMPTS", 1)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(
            pool.map(
                lambda n: store.record(actor=f"worker:{n % 3}", action="ingest", subject=f"m:{n}"), range(30)
            )
        )
    check = store.verify()
    assert (check.ok, check.events) == (True, 30)


def test_different_pushes_of_one_flight_in_parallel(store: Store) -> None:
    push = full_push()
    parts = [dataclasses.replace(push, bookings=push.bookings[i::3]) for i in range(3)]
    ids = [store.receive(f"part {i}".encode(), sender="1A", channel="x").message_id for i in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(store.store_push, ids, parts))
    assert len({r.flight_id for r in results}) == 1
    assert sum(r.new_bookings for r in results) == len(push.bookings)
    stored = store.current_bookings(results[0].flight_id)
    assert sorted(b.locator or "" for b in stored) == sorted(b.locator or "" for b in push.bookings)
    [flight] = store.find_flights(flight_date=results[0].flight_date)
    assert flight.push_count == 3


def test_store_satisfies_every_protocol(store: Store) -> None:
    from openpiu.store import Audit, Bookings, Inbox

    def as_inbox(x: Inbox) -> Inbox:
        return x

    def as_bookings(x: Bookings) -> Bookings:
        return x

    def as_audit(x: Audit) -> Audit:
        return x

    assert as_inbox(store) is as_bookings(store) is as_audit(store)


def test_postgresql_sessions_run_without_jit_and_compress_documents_with_lz4() -> None:
    from conftest import postgres_schema

    with postgres_schema() as scoped:
        engine = create_engine(scoped)
        try:
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
                supported = connection.exec_driver_sql(
                    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
                ).scalar()
                expected = "lz4" if supported else "pglz"
                assert connection.exec_driver_sql("SHOW default_toast_compression").scalar() == expected
        finally:
            engine.dispose()


class _Refusing:
    """A driver connection whose server refuses lz4 (one before 14, or built without it)."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def execute(self, statement: str) -> None:
        if "lz4" in statement:
            self.done.append("refused")
            raise LookupError(statement)
        self.done.append(statement)

    def commit(self) -> None:
        self.done.append("commit")

    def rollback(self) -> None:
        self.done.append("rollback")


def test_a_server_without_lz4_keeps_its_compression_and_the_session_goes_on() -> None:
    from openpiu.store.sql import server_session

    connection = _Refusing()
    server_session(connection, LookupError)
    assert connection.done == ["SET jit = off", "commit", "refused", "rollback"]


def _migrate(url: str, step: Any, revision: str) -> None:
    """Run alembic's ``step`` (upgrade or downgrade) to ``revision`` as ``openpiu db upgrade`` would."""
    from openpiu.store.sql import _WRITE, _alembic_config

    engine = create_engine(url)
    try:
        with engine.execution_options(**{_WRITE: True}).begin() as connection:
            step(_alembic_config(connection), revision)
    finally:
        engine.dispose()


def test_identifying_items_stored_by_earlier_versions_move_to_the_identifying_parts(
    url: str, clock: FixedClock
) -> None:
    """Migration 0020: SSR and OSI items, a traveller's gender and the number travelling together, kept
    in the public documents before, move to the identifying parts; the bookings read back are the same."""
    from alembic import command

    migrate = functools.partial(_migrate, url)

    def public_keys() -> tuple[set[str], set[str], bool]:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                versions = [
                    json_of(r) for r in connection.exec_driver_sql("SELECT record FROM booking_versions")
                ]
                travellers = [json_of(r) for r in connection.exec_driver_sql("SELECT record FROM travellers")]
        finally:
            engine.dispose()
        sizes = any("party_size" in s or "services" in s for v in versions for s in v.get("segments", ()))
        return {k for v in versions for k in v}, {k for t in travellers for k in t}, sizes

    def json_of(row: Any) -> dict[str, Any]:
        value = row[0]
        return json.loads(value) if isinstance(value, str) else dict(value)

    upgrade(url)
    store = open_store(url, clock=clock)
    try:
        given = demo_push(seed=11, bookings=6)
        docs = ServiceItem("SSR", "DOCS", "HK", 1, text="/P/DEU/C01X00T47/DEU/12AUG80/M/01JAN30/DOE/JOHN")
        contact = ServiceItem("SSR", "CTCM", "HK", 1, text="+4917243169473")
        push = dataclasses.replace(
            given,
            bookings=tuple(
                dataclasses.replace(
                    booking,
                    services=(contact,),
                    segments=tuple(
                        dataclasses.replace(s, party_size=2, services=(contact,)) for s in booking.segments
                    ),
                    travellers=tuple(
                        dataclasses.replace(t, services=(docs,), gender=Gender.MALE)
                        for t in booking.travellers
                    ),
                )
                for booking in given.bookings
            ),
        )
        received = store.receive(b"push", sender="test", channel="test")
        result = store.store_push(received.message_id, push)
        before = store.current_bookings(result.flight_id)
    finally:
        store.close()
    booking_keys, traveller_keys, sizes = public_keys()
    assert "services" not in booking_keys
    assert not traveller_keys & {"services", "gender"}
    assert not sizes
    migrate(command.downgrade, "0019")  # the layout earlier versions wrote
    booking_keys, traveller_keys, sizes = public_keys()
    assert "services" in traveller_keys
    assert sizes
    migrate(command.upgrade, "head")
    booking_keys, traveller_keys, sizes = public_keys()
    assert "services" not in booking_keys
    assert not traveller_keys & {"services", "gender"}
    assert not sizes
    store = open_store(url, clock=clock)
    try:
        assert store.current_bookings(result.flight_id) == before
    finally:
        store.close()


def test_check_in_texts_stored_by_earlier_versions_move_to_the_identifying_parts(
    url: str, clock: FixedClock
) -> None:
    """Migration 0021: a check-in's free text (which may name the traveller), kept in the public
    itinerary before, moves to the identifying part beside the check-in's names; and back on downgrade."""
    from alembic import command

    migrate = functools.partial(_migrate, url)

    def public_texts() -> list[str]:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                rows = connection.exec_driver_sql("SELECT record FROM booking_versions").all()
        finally:
            engine.dispose()
        versions = [json.loads(r[0]) if isinstance(r[0], str) else dict(r[0]) for r in rows]
        return [
            c["text"]
            for v in versions
            for s in v.get("segments", ())
            for c in s.get("check_ins", ())
            if "text" in c
        ]

    upgrade(url)
    store = open_store(url, clock=clock)
    try:
        given = demo_push(seed=12, bookings=4)
        texts = iter(["CHECKED IN BY DOE/JOHN", None, "GATE 12 ONWARD"])

        def checked_in(booking: Any) -> Any:
            check_ins = (
                CheckIn(traveller_ref="1", surname="DOE", text=next(texts, None)),
                CheckIn(traveller_ref="2", text="LATE", seat="12C"),  # a text without names
            )
            first, *rest = booking.segments
            return dataclasses.replace(
                booking, segments=(dataclasses.replace(first, check_ins=check_ins), *rest)
            )

        push = dataclasses.replace(given, bookings=tuple(checked_in(b) for b in given.bookings))
        received = store.receive(b"push", sender="test", channel="test")
        result = store.store_push(received.message_id, push)
        before = store.current_bookings(result.flight_id)
    finally:
        store.close()
    stored_texts = sorted(c.text for b in before for s in b.booking.segments for c in s.check_ins if c.text)
    assert stored_texts == sorted(["CHECKED IN BY DOE/JOHN", "GATE 12 ONWARD", *["LATE"] * 4])
    assert public_texts() == []
    migrate(command.downgrade, "0020")  # the layout earlier versions wrote
    assert sorted(public_texts()) == stored_texts
    migrate(command.upgrade, "head")
    assert public_texts() == []
    store = open_store(url, clock=clock)
    try:
        assert store.current_bookings(result.flight_id) == before
    finally:
        store.close()


#: Values a list of them must carry as they are: quotes, backslashes, an array's own punctuation, words
#: PostgreSQL reads specially in an array's text, none at all, and one beyond ASCII.
_AWKWARD = ['a"b', "c\\d", "{x}", "a,b", " spaced ", "NULL", "", "Zoë", '\\"']


def test_lists_of_values_reach_the_database_as_they_are(engine: sa.Engine) -> None:
    from openpiu.store.sql_base import rows_in

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TEMPORARY TABLE given (text_value TEXT, number BIGINT)")
        rows = [(value, position) for position, value in enumerate([*_AWKWARD, "other"])]
        connection.execute(sa.text("INSERT INTO given VALUES (:t, :n)"), [{"t": t, "n": n} for t, n in rows])
        found = rows_in(connection, "SELECT text_value FROM given WHERE text_value {values}", _AWKWARD)
        assert sorted(value for (value,) in found) == sorted(_AWKWARD)
        numbers = [2**40, 3, 0]
        found = rows_in(connection, "SELECT number FROM given WHERE number {values}", numbers)
        assert sorted(n for (n,) in found) == [0, 3]


def test_a_statement_built_once_takes_lists_of_values_as_they_are(engine: sa.Engine) -> None:
    from openpiu.store.sql_base import listed, one_of

    given = sa.Table(
        "given", sa.MetaData(), sa.Column("text_value", sa.Text), sa.Column("number", sa.BigInteger)
    )
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TEMPORARY TABLE given (text_value TEXT, number BIGINT)")
        rows = [(value, position) for position, value in enumerate([*_AWKWARD, "other"])]
        connection.execute(sa.insert(given), [{"text_value": t, "number": n} for t, n in rows])
        postgres = connection.dialect.name == "postgresql"
        by_text = sa.select(given.c.number).where(one_of(given.c.text_value, "values", postgres=postgres))
        found = connection.execute(by_text, {"values": listed(connection, _AWKWARD)}).scalars()
        assert sorted(found) == list(range(len(_AWKWARD)))
        assert connection.execute(by_text, {"values": listed(connection, [])}).all() == []
        by_number = sa.select(given.c.text_value).where(one_of(given.c.number, "values", postgres=postgres))
        found = connection.execute(
            by_number, {"values": listed(connection, [2**40, len(_AWKWARD), 0])}
        ).scalars()
        assert sorted(found) == sorted([_AWKWARD[0], "other"])


def test_bulk_updates_carry_every_kind_of_value_as_it_is(engine: sa.Engine) -> None:
    from openpiu.store.sql import _bulk_update

    table = sa.Table(
        "updated",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("text_value", sa.Text),
        sa.Column("flag", sa.Boolean),
        sa.Column("number", sa.Integer),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("day", sa.Date),
        sa.Column("ratio", sa.Float),
        prefixes=["TEMPORARY"],
    )
    at = datetime(2026, 11, 29, 6, 30, 15, 123456, tzinfo=UTC)
    given = [
        {
            "id": i + 1,
            "text_value": value,
            "flag": i % 2 == 0,
            "number": i,
            "at": at,
            "day": at.date(),
            "ratio": i / 3,
        }
        for i, value in enumerate(_AWKWARD)
    ]
    given.append(
        {"id": 99, "text_value": None, "flag": None, "number": None, "at": None, "day": None, "ratio": None}
    )
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), [{"id": row["id"]} for row in given])
        _bulk_update(connection, table, given)
        stored = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(table.c.id))]
    for row in stored:
        if row["at"] is not None and row["at"].tzinfo is None:  # SQLite keeps no offset
            row["at"] = row["at"].replace(tzinfo=UTC)
    assert stored == given
