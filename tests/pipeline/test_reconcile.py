"""Reassembly, reconciliation, scope and recovery in the pipeline, on generated traffic and hand-made pushes:
split pushes in any order (and incomplete ones), API data merged with the right travellers, flights
outside the notified scope leaving nothing but a count, a crash taken up again, the quarantine commands."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import split_push, write_pnrgov
from openpiu.formats.reader import read_messages
from openpiu.model import PnrPush
from openpiu.pipeline import Ingestor, ingest, prepare
from openpiu.protection import scope_from
from openpiu.services.ingest import ingest_paths, status
from openpiu.services.quarantine import list_quarantined, retry
from openpiu.store import MessageState, Store, create_engine, open_store, upgrade
from openpiu.store import schema as t
from openpiu.synth.corpus import demo_push
from openpiu.synth.types import QuirkRates
from openpiu.synth.world import generate, world_params

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    return url


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[str, Store, FixedClock]]:
    url = database(tmp_path)
    clock = FixedClock(AT)
    store = open_store(url, clock=clock)
    yield url, store, clock
    store.close()


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def split_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day where every push of more than 8 bookings is split, parts often out of order, with API data."""
    folder = tmp_path_factory.mktemp("split")
    params = world_params(scale=0.004, seed=4, xml_share=0.0, quirk_rate=0.0)
    quirks = dataclasses.replace(QuirkRates(), out_of_order=0.5, broken=0.0)
    params = dataclasses.replace(params, split_bookings=8, quirks=quirks)
    generate(params, folder)
    return folder


def test_split_pushes_in_any_order_are_stored_whole(split_world: Path, tmp_path: Path) -> None:
    truth = json.loads((split_world / "truth" / "summary.json").read_text())
    assert truth["broken_messages"] == 0
    versions = travellers = persons = 0
    seen: set[bytes] = set()
    for path in sorted((split_world / "messages").iterdir()):
        data = path.read_bytes()
        if data in seen:
            continue  # the same bytes delivered again: counted as a duplicate, stored once
        seen.add(data)
        [outcome] = read_messages(data, received_on=AT.date())
        if isinstance(outcome, PnrPush):
            versions += len(outcome.bookings)
            travellers += sum(len(b.travellers) for b in outcome.bookings)
        else:
            persons += len(outcome.persons)
    url = database(tmp_path)
    result = ingest_paths([split_world / "messages"], url=url, clock=FixedClock(AT)).result
    assert result.waiting_parts > 0, "no split push: nothing would be tested"
    counts = status(url, clock=FixedClock(AT))
    assert counts["messages"]["parsed"] == counts["messages"]["quarantined"] == 0  # every series whole
    assert counts["booking_versions"] == versions
    assert counts["travellers"] == travellers
    assert counts["api_persons"] == persons == truth["api_person_occurrences"]


def test_api_persons_are_merged_with_the_right_travellers(split_world: Path, tmp_path: Path) -> None:
    """Every merge joins two occurrences of the same person (ground truth), and nearly every person merges."""
    url = database(tmp_path)
    ingest_paths([split_world / "messages"], url=url, clock=FixedClock(AT))
    truth = split_world / "truth"
    by_traveller = {(t["locator"], t["reference"]): t["person_id"] for t in jsonl(truth / "travellers.jsonl")}
    files = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in (split_world / "messages").iterdir()}
    by_api = {(a["file"], a["index"]): a["person_id"] for a in jsonl(truth / "api_persons.jsonl")}
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            persons = connection.execute(sa.select(sa.func.count()).select_from(t.api_persons)).scalar_one()
            merges = connection.execute(
                sa.select(
                    t.messages.c.content_hash,
                    t.api_persons.c.position,
                    t.bookings.c.locator,
                    t.travellers.c.ref,
                    t.api_matches.c.confidence,
                    t.api_matches.c.explanation,
                ).select_from(
                    t.api_matches.join(t.api_persons, t.api_persons.c.id == t.api_matches.c.api_person_id)
                    .join(t.passenger_lists, t.passenger_lists.c.id == t.api_persons.c.list_id)
                    .join(t.messages, t.messages.c.id == t.passenger_lists.c.message_id)
                    .join(t.travellers, t.travellers.c.id == t.api_matches.c.traveller_id)
                    .join(t.bookings, t.bookings.c.id == t.api_matches.c.booking_id)
                )
            ).all()
    finally:
        engine.dispose()
    assert persons > 0
    correct = 0
    for row in merges:
        api_person = by_api[(files[row.content_hash], row.position)]
        correct += by_traveller.get((row.locator, row.ref)) == api_person
        assert 0 < row.confidence <= 1
        assert row.explanation
    assert correct / len(merges) >= 0.99
    assert len(merges) / persons >= 0.97


def parts_of(push: PnrPush, size: int) -> list[bytes]:
    return [write_pnrgov(part) for part in split_push(push, size)]


def test_an_incomplete_split_push_is_quarantined_with_what_is_missing_then_retried(
    opened: tuple[str, Store, FixedClock],
) -> None:
    url, store, clock = opened
    first, second, third = parts_of(demo_push(seed=3, bookings=30), 10)
    ingestor = Ingestor(store, clock, split_timeout=timedelta(minutes=5))
    for data in (third, first):
        assert ingestor.ingest(data, sender="LH", channel="test").waiting_parts == 1
    assert ingestor.expire_series().quarantined == 0  # not timed out yet
    clock.advance(timedelta(minutes=6))
    expired = ingestor.expire_series()
    assert expired.quarantined == 2
    [one, three] = list_quarantined(url, clock=clock)
    assert (
        one["reason"]
        == three["reason"]
        == ("split push incomplete after 300 s: received parts 1, 3; missing 2")
    )
    assert store.booking_counts().booking_versions == 0

    # The missing part arrives late: it waits, and retrying the quarantined parts completes the push.
    assert ingestor.ingest(second, sender="LH", channel="test").waiting_parts == 1
    retried = retry(url, None, clock=clock)
    assert retried.stored_messages == 3
    assert store.booking_counts().booking_versions == 30
    assert store.message_counts().by_state[MessageState.STORED] == 3


def test_messages_numbered_with_a_bare_counter_are_stored_one_by_one_after_the_timeout(
    opened: tuple[str, Store, FixedClock],
) -> None:
    _, store, clock = opened
    push = demo_push(seed=4, bookings=5)
    numbered = dataclasses.replace(push, header=dataclasses.replace(push.header, part=12, final_part=None))
    ingestor = Ingestor(store, clock, split_timeout=timedelta(minutes=5))
    assert ingestor.ingest(write_pnrgov(numbered), sender="LH", channel="test").waiting_parts == 1
    clock.advance(timedelta(minutes=6))
    assert ingestor.expire_series().stored_messages == 1
    assert store.booking_counts().booking_versions == 5


def test_flights_outside_the_notified_scope_leave_only_a_count(split_world: Path, tmp_path: Path) -> None:
    scope = scope_from({"versions": [{"version": "v1", "valid_from": "2026-01-01", "routes": ["DE-GR"]}]})
    expected_out = 0  # every delivery is counted
    expected_in = 0  # each message kept once (a re-delivery is a duplicate)
    seen: set[bytes] = set()
    for path in sorted((split_world / "messages").iterdir()):
        data = path.read_bytes()
        [outcome] = read_messages(data, received_on=AT.date())
        legs = [outcome.flight] if isinstance(outcome, PnrPush) else list(outcome.legs)
        inside = any(
            f is not None
            and f.departure is not None
            and scope.covers(f.origin, f.destination, f.departure.local.date())
            for f in legs
        )
        expected_out += not inside
        expected_in += inside and data not in seen
        seen.add(data)
    assert expected_out, "the day must have flights outside the scope"
    assert expected_in, "the day must have flights inside the scope"
    url = database(tmp_path)
    result = ingest_paths([split_world / "messages"], url=url, clock=FixedClock(AT), scope=scope).result
    assert result.out_of_scope == expected_out
    counts = status(url, clock=FixedClock(AT))
    assert counts["out_of_scope_messages"] == expected_out
    assert counts["messages"]["received"] == expected_in  # nothing else kept of the others
    store = open_store(url, clock=FixedClock(AT))
    try:
        for flight in store.find_flights(flight_date=AT.date() + timedelta(days=1)):
            f = flight.flight
            assert f.departure is not None
            assert scope.covers(f.origin, f.destination, f.departure.local.date())
    finally:
        store.close()


def test_a_message_left_half_way_by_a_crash_is_taken_up_again(opened: tuple[str, Store, FixedClock]) -> None:
    url, store, clock = opened
    data = write_pnrgov(demo_push(seed=6, bookings=4))
    [kept] = prepare(data).units  # what the pipeline keeps: the bytes with sensitive items cut
    receipt = store.receive(kept.raw, sender="LH", channel="test")
    store.advance(receipt.message_id, MessageState.PARSED)  # the process died before storing
    assert ingest(store, data, sender="LH", channel="test", clock=clock).duplicates == 1  # a re-delivery
    assert store.booking_counts().booking_versions == 4
    crashed = store.receive(write_pnrgov(demo_push(seed=9, bookings=2)), sender="LH", channel="test")
    ingest_paths([], url=url, clock=clock)  # every run takes up what was left first
    message = store.message(crashed.message_id)
    assert message is not None
    assert message.state is MessageState.SCREENED  # stored, then screened (against no list yet)


def test_the_quarantine_commands(
    opened: tuple[str, Store, FixedClock],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The commands' local state (a card-hash key made when none is set) in the test's folder, not ./data.
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    url, store, _ = opened
    bad = store.receive(b"UNB+IATA:1+LH+DEPIU'UNH+1+PNRGOV:11:1:IA'garbage", sender="LH", channel="test")
    store.advance(bad.message_id, MessageState.QUARANTINED, reason="cannot be read: no flight")
    assert main(["quarantine", "list", "--json", "--db", url]) == 0
    [listed] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (listed["id"], listed["reason"]) == (bad.message_id, "cannot be read: no flight")
    assert main(["quarantine", "show", str(bad.message_id), "--db", url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [h["state"] for h in shown["history"]] == ["received", "quarantined"]
    assert main(["quarantine", "show", str(bad.message_id), "--raw", "--db", url]) == 2  # needs a reason
    assert (
        main(["quarantine", "show", str(bad.message_id), "--raw", "--reason", "fix reader", "--db", url]) == 0
    )
    assert capsys.readouterr().out.startswith("UNB+IATA")
    assert [e.action for e in store.events()][-1] == "message.raw_read"
    assert main(["quarantine", "retry", "--db", url]) == 2  # which ones?
    assert main(["quarantine", "retry", str(bad.message_id), "--db", url]) == 1  # still unreadable
    assert "quarantined again" in capsys.readouterr().out
    assert main(["quarantine", "show", "999", "--db", url]) == 1
