"""Ingesting generated traffic: the stored counts equal the truth, broken messages are quarantined with a
reason, every planted sensitive item is gone from the stored raw bytes and bookings, and a second delivery
of everything changes nothing but the duplicate count."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.formats.errors import ParseError
from openpiu.formats.reader import read_messages
from openpiu.model import PnrPush, ServiceItem
from openpiu.protection import DEFAULT_POLICY
from openpiu.services.database import check_references
from openpiu.services.ingest import ingest_paths, status
from openpiu.store import MessageState, StoreError, create_engine, open_store, upgrade
from openpiu.store.schema import metadata
from openpiu.synth.planted import SENSITIVE_ITEMS
from openpiu.synth.world import generate, world_params

PLANTED_TEXT = {item.code: item.text for item in SENSITIVE_ITEMS}
AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@dataclasses.dataclass
class World:
    folder: Path
    summary: dict[str, Any]
    sensitive: list[dict[str, Any]]

    @property
    def messages(self) -> Path:
        return self.folder / "messages"

    def files(self) -> list[Path]:
        return sorted(self.messages.iterdir())


def make_world(folder: Path, **params: Any) -> World:
    generate(world_params(scale=0.001, **params), folder)
    summary = json.loads((folder / "truth" / "summary.json").read_text())
    lines = (folder / "truth" / "sensitive_items.jsonl").read_text().splitlines()
    return World(folder, summary, [json.loads(line) for line in lines])


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("clean"), seed=1)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("broken"), seed=2, broken_rate=0.25, xml_share=0.0)


def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    return url


def service_codes(value: object) -> list[str]:
    if isinstance(value, ServiceItem):
        return [value.code or ""]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [c for f in dataclasses.fields(value) for c in service_codes(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [c for v in value for c in service_codes(v)]
    return []


def test_a_generated_day_is_stored_as_the_truth_says(clean: World, tmp_path: Path) -> None:
    url = database(tmp_path)
    summary = ingest_paths([clean.messages], url=url, clock=FixedClock(AT))
    truth = clean.summary
    counts = status(url, clock=FixedClock(AT))
    assert counts["messages"] == {
        "received": truth["messages"],
        "duplicates": 0,
        "stored": truth["pnrgov_messages"] + truth["paxlst_messages"] - truth["broken_messages"],
        "quarantined": truth["broken_messages"],
        "parsed": 0,
        "waiting": 0,
    }
    # The store keeps a booking record per pushed flight: a PNR on two of the country's flights (a
    # connection) is two records, and codeshare listings are not flights of their own.
    pushes = [
        o
        for path in clean.files()
        for o in read_messages(path.read_bytes(), source=path.name, received_on=AT.date())
        if isinstance(o, PnrPush)
    ]
    flights = {
        (p.flight.designator, p.flight.departure.local.date())
        for p in pushes
        if p.flight and p.flight.departure
    }
    records = {
        (p.flight.designator, p.flight.departure.local.date(), b.locator)
        for p in pushes
        if p.flight and p.flight.departure
        for b in p.bookings
    }
    assert counts["flights"] == len(flights)
    assert counts["bookings"] == len(records)
    assert len({b.locator for p in pushes for b in p.bookings}) == truth["bookings"]
    assert counts["booking_versions"] == truth["booking_occurrences"]
    assert counts["travellers"] == truth["traveller_occurrences"]
    assert counts["removed_sensitive_items"] == summary.result.removed_items >= len(clean.sensitive)
    assert counts["out_of_scope_messages"] == 0


def test_broken_messages_are_quarantined_with_a_reason_and_the_rest_is_stored(
    broken: World, tmp_path: Path
) -> None:
    expected_broken = 0
    expected_versions = 0
    expected_travellers = 0
    seen: set[bytes] = set()
    for path in broken.files():
        data = path.read_bytes()
        if data in seen:
            continue  # a re-delivery of the same bytes: counted as a duplicate, not processed again
        seen.add(data)
        for outcome in read_messages(data, source=path.name, received_on=AT.date()):
            if isinstance(outcome, ParseError):
                expected_broken += 1
            elif isinstance(outcome, PnrPush):
                expected_versions += len(outcome.bookings)
                expected_travellers += sum(len(b.travellers) for b in outcome.bookings)
    assert expected_broken, "the world has no broken message: nothing would be tested"

    url = database(tmp_path)
    result = ingest_paths([broken.messages], url=url, clock=FixedClock(AT)).result
    counts = status(url, clock=FixedClock(AT))
    assert result.quarantined == counts["messages"]["quarantined"] == expected_broken
    assert counts["booking_versions"] == expected_versions
    assert counts["travellers"] == expected_travellers
    store = open_store(url, clock=FixedClock(AT))
    try:
        quarantined = store.messages(MessageState.QUARANTINED, limit=1000)
        assert len(quarantined) == expected_broken
        for message in quarantined:
            assert message.reason
            assert message.reason.startswith("cannot be read: ")
            assert "[" not in message.reason  # the reader's quoted segment text is never kept
    finally:
        store.close()


@pytest.mark.parametrize("name", ["clean", "broken"])
def test_no_planted_sensitive_item_is_stored(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    world: World = request.getfixturevalue(name)
    assert world.sensitive, "the world planted no sensitive item: nothing would be tested"
    url = database(tmp_path)
    ingest_paths([world.messages], url=url, clock=FixedClock(AT))
    store = open_store(url, clock=FixedClock(AT))
    try:
        checked = 0
        for message_id in range(1, store.message_counts().total + 1):
            raw = store.raw(message_id)
            assert raw is not None
            checked += 1
            flat = raw.replace(b"\r", b"").replace(b"\n", b"")
            for code, text in PLANTED_TEXT.items():
                assert text.encode() not in flat, (message_id, code)
        assert checked
        # Nor in any other table: every stored value, JSON documents included, read as text.
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                for table in metadata.sorted_tables:
                    for stored in connection.execute(sa.select(table)):
                        text = " ".join(str(value) for value in stored)
                        for code, planted in PLANTED_TEXT.items():
                            assert planted not in text, (table.name, code)
        finally:
            engine.dispose()
        for row in world.sensitive:
            bookings = store.bookings_by_locator(row["locator"])
            for booking in bookings:
                assert not set(service_codes(booking.booking)) & DEFAULT_POLICY.codes
                for version in store.versions(booking.id):
                    assert not set(service_codes(version.booking)) & DEFAULT_POLICY.codes
    finally:
        store.close()


def test_ingesting_everything_twice_changes_nothing_but_the_duplicates(broken: World, tmp_path: Path) -> None:
    url = database(tmp_path)
    clock = FixedClock(AT)
    ingest_paths([broken.messages], url=url, clock=clock)
    first = status(url, clock=clock)
    again = ingest_paths([broken.messages], url=url, clock=clock)
    second = status(url, clock=clock)
    assert again.result.duplicates == again.result.messages  # every message of the second run
    assert again.result.quarantined == again.result.stored_messages == 0
    assert second["messages"]["duplicates"] == first["messages"]["duplicates"] + again.result.messages
    second["messages"]["duplicates"] = first["messages"]["duplicates"]
    assert second == first


def test_ingesting_into_a_database_not_upgraded_is_refused(clean: World, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(StoreError, match="openpiu db upgrade"):
        ingest_paths([clean.messages], url=url, clock=FixedClock(AT))


def test_the_commands_ingest_and_report_status(
    clean: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPENPIU_DATABASE_URL", raising=False)
    monkeypatch.setenv("OPENPIU_CARD_HASH_KEY", "00" * 32)
    assert main(["ingest", str(clean.messages)]) == 0
    assert "stored" in capsys.readouterr().out
    assert main(["status", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    for key in (
        "flights",
        "bookings",
        "booking_versions",
        "travellers",
        "removed_sensitive_items",
        "out_of_scope_messages",
    ):
        assert isinstance(counts[key], int), key
    assert set(counts["messages"]) >= {"received", "duplicates", "stored", "quarantined"}
    assert counts["bookings"] == clean.summary["bookings"]
    assert main(["status"]) == 0
    assert "bookings" in capsys.readouterr().out


# --- several writers (PostgreSQL) ------------------------------------------------------------------


def partition(url: str) -> set[frozenset[tuple[str | None, str | None, str | None, int | None]]]:
    """The identities as sets of occurrences named by file, locator, reference and list position: the
    same in two databases whatever ids and order of arrival each gave."""
    store = open_store(url, clock=FixedClock(AT))
    try:
        groups: dict[int, set[tuple[str | None, str | None, str | None, int | None]]] = {}
        for row in store.identity_export():
            if row.identity is not None:
                groups.setdefault(row.identity, set()).add(
                    (row.source, row.locator, row.reference, row.index)
                )
    finally:
        store.close()
    return {frozenset(members) for members in groups.values()}


def test_two_writers_on_postgresql_store_what_one_writer_does(clean: World) -> None:
    """Each writer takes the files of its flights; what they store together is what one writer stores:
    the same counts, the API persons merged with the same travellers, the same identities."""
    from conftest import postgres_schema

    assert len(clean.files()) >= 8  # below eight files one process writes them all
    with postgres_schema() as one, postgres_schema() as two:
        upgrade(one)
        upgrade(two)
        alone = ingest_paths([clean.messages], url=one, clock=FixedClock(AT), writers=1)
        shared = ingest_paths([clean.messages], url=two, clock=FixedClock(AT), writers=2)
        assert status(two, clock=FixedClock(AT)) == status(one, clock=FixedClock(AT))
        assert shared.files == alone.files
        for name in ("messages", "stored_messages", "bookings", "travellers", "api_merged", "quarantined"):
            assert getattr(shared.result, name) == getattr(alone.result, name), name
        assert sorted(shared.result.message_ids) == sorted(alone.result.message_ids)
        assert partition(two) == partition(one)
        assert not any(check_references(two, FixedClock(AT)).values())


def test_every_message_of_a_flight_goes_to_one_writer(clean: World) -> None:
    """A flight's pushes (its codeshares' too) and its API lists share their writer: a list stored by one
    writer while another stores its flight's push would be merged with neither."""
    from openpiu.model import PassengerList
    from openpiu.pipeline.reading import read_file, writer_of

    writers_of: dict[tuple[str, str | None, str | None], set[int]] = {}
    for path in clean.files():
        prepared = read_file(path, DEFAULT_POLICY, None, AT.date())
        assert not isinstance(prepared, OSError)
        for unit in prepared.units:
            outcome = unit.outcome
            flight = (
                outcome.flight
                if isinstance(outcome, PnrPush)
                else next((leg for leg in outcome.legs if leg.departure), None)
                if isinstance(outcome, PassengerList)
                else None
            )
            if flight is None or flight.departure is None:
                continue
            key = (flight.departure.local.date().isoformat(), flight.origin, flight.destination)
            writers_of.setdefault(key, set()).add(writer_of(prepared, 3))
    assert writers_of
    assert all(len(writers) == 1 for writers in writers_of.values())
    assert len({w for writers in writers_of.values() for w in writers}) > 1  # and the flights are shared


def test_a_failing_writer_stops_the_run_and_loses_nothing(clean: World) -> None:
    """A writer that cannot store (here: the evidence index is gone) stops the whole run with its reason;
    every message it took stays received, for the next run to take up (no writer hangs)."""
    from conftest import postgres_schema

    with postgres_schema() as url:
        upgrade(url)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE identity_keys")
        engine.dispose()
        with pytest.raises(RuntimeError, match=r"an ingest writer failed: .*identity_keys"):
            ingest_paths([clean.messages], url=url, clock=FixedClock(AT), writers=2)
        messages = status(url, clock=FixedClock(AT))["messages"]
        assert messages["received"] > 0
        assert messages["quarantined"] == 0
        # each received message is stored, or waits whole for the next run
        assert messages["received"] == messages["stored"] + messages["waiting"] + messages["parsed"]
        assert messages["waiting"] > 0


def test_a_writer_done_early_does_not_stop_the_others(clean: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers with few flights end while others still write: that is their normal end, not a failure
    (the run once stopped there, when a look for dead writers came between two reports)."""
    import openpiu.services.ingest as ingest_service
    from conftest import postgres_schema

    monkeypatch.setattr(ingest_service, "_WRITER_POLL", 0.01)  # look for dead writers very often
    with postgres_schema() as url:
        upgrade(url)
        # read here, at once: every share is handed out before the writers have started
        shared = ingest_paths([clean.messages], url=url, clock=FixedClock(AT), writers=8, readers=0)
        assert shared.result.stored_messages == status(url, clock=FixedClock(AT))["messages"]["stored"] > 0


def test_only_a_writer_that_did_not_end_normally_stops_the_run() -> None:
    from openpiu.services.ingest import writers_ended

    assert writers_ended([None, 0]) is False  # one done with its share early: the other writes on
    assert writers_ended([None, None]) is False
    assert writers_ended([0, 0]) is True
    with pytest.raises(RuntimeError, match="exit code -9"):
        writers_ended([0, -9])  # killed
    with pytest.raises(RuntimeError, match="exit code 1"):
        writers_ended([None, 1])


def test_a_push_read_under_another_protection_policy_is_refused_not_stored_thin(
    clean: World, tmp_path: Path
) -> None:
    """A reader process sends a push's bookings encoded, without the tree they were encoded from: a writer
    with another policy could neither protect it again nor store it whole, so it says so and keeps nothing."""
    from openpiu.pipeline import Ingestor
    from openpiu.pipeline.reading import read_file

    url = database(tmp_path)
    path = next(p for p in clean.files() if b"TVL+" in p.read_bytes())
    prepared = read_file(path, DEFAULT_POLICY, None, AT.date())
    assert not isinstance(prepared, OSError)
    store = open_store(url, clock=FixedClock(AT))
    try:
        other = dataclasses.replace(DEFAULT_POLICY, version=f"{DEFAULT_POLICY.version}-other")
        ingestor = Ingestor(store, FixedClock(AT), policy=other)
        with pytest.raises(ValueError, match="protection policy"):
            ingestor.receive_batch([prepared], sender="folder", channel="file")
        assert store.message_counts().total == 0
    finally:
        store.close()


def _scans(plan: Any) -> set[tuple[str, str]]:
    """(node type, table) of every scan in an EXPLAIN (FORMAT JSON) plan."""
    found: set[tuple[str, str]] = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "Relation Name" in node:
                found.add((node["Node Type"], node["Relation Name"]))
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return found


def test_a_push_s_lookups_on_postgresql_read_by_index_before_any_statistics(clean: World) -> None:
    """In a new database the server has no statistics for its first minute (autovacuum's first look), and
    its guesses made it read every stored traveller to find one push's. The look-ups of every push and list
    are written so that they can only be run through their indexes: here with autovacuum kept away, so the
    tables have never been analysed."""
    from conftest import postgres_schema
    from openpiu.store import schema as tables
    from openpiu.store.sql import _CURRENT_TRAVELLERS
    from openpiu.store.sql_identities import _API_MATCHES_APART, _VERSIONS_TO_RESOLVE

    with postgres_schema() as url:
        upgrade(url)
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                for table in tables.metadata.sorted_tables:
                    connection.exec_driver_sql(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)')
            ingest_paths([clean.messages], url=url, clock=FixedClock(AT))
            with engine.connect() as connection:
                analysed = connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()"
                ).scalar_one()
                assert analysed == 0
                v, b = tables.booking_versions, tables.bookings
                message = connection.execute(sa.select(sa.func.max(v.c.message_id))).scalar_one()
                flight = connection.execute(sa.select(sa.func.max(b.c.flight_id))).scalar_one()
                assert (
                    connection.execute(sa.select(sa.func.count()).select_from(tables.travellers)).scalar()
                    > 1000
                )
                statements = (
                    _VERSIONS_TO_RESOLVE[True].params(values=[message]),
                    _API_MATCHES_APART[True].params(values=[flight]),
                    _CURRENT_TRAVELLERS[True].params(flight=flight),
                )
                for statement in statements:
                    sql = statement.compile(
                        dialect=connection.dialect,
                        compile_kwargs={"literal_binds": True, "render_postcompile": True},
                    )
                    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar_one()
                    scans = _scans(plan)
                    assert scans, sql
                    sequential = {table for kind, table in scans if kind == "Seq Scan"}
                    assert not sequential & {
                        "travellers",
                        "traveller_identities",
                        "identity_members",
                        "api_matches",
                    }, scans
        finally:
            engine.dispose()
