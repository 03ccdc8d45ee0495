"""The travel screens' use cases: the day's board with push compliance, a flight's manifest with hits and
check-in, a booking's versions with what changed, a traveller's other bookings; reads audited."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PnrPush, Watchlist, WatchlistEntry
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.travel import NoSuchRecord, Travel
from openpiu.store import Store, open_store, upgrade
from openpiu.synth.corpus import demo_push

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
LIST = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU supervisor")


def second_push(push: PnrPush) -> PnrPush:
    """The carrier's closure push: the same bookings, the first one's first traveller renamed."""
    assert push.header.prepared_at is not None
    header = dataclasses.replace(
        push.header, prepared_at=push.header.prepared_at + timedelta(hours=20), message_ref="CLOSE1"
    )
    first = push.bookings[0]
    renamed = dataclasses.replace(first.travellers[0], given_names="CHANGED")
    bookings = (dataclasses.replace(first, travellers=(renamed, *first.travellers[1:])), *push.bookings[1:])
    return dataclasses.replace(push, header=header, bookings=bookings)


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Store, PnrPush]:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    clock = FixedClock(AT)
    store = open_store(url, clock=clock)
    push = demo_push(seed=5, bookings=12)
    target = next(t for b in push.bookings[1:] if not b.cancelled for t in b.travellers if t.given_names)
    entry = WatchlistEntry(entry_id="E1", names=(f"{target.given_names} {target.surname}",))
    store.import_watchlist(LIST, [entry], actor="supervisor")
    ingestor = Ingestor(store, clock, screening=ScreeningStage(store, clock))
    ingestor.ingest(write_pnrgov(push), sender="1A", channel="test")
    ingestor.ingest(write_pnrgov(second_push(push)), sender="1A", channel="test")
    return store, push


def test_the_board_shows_the_days_flights_and_pushes_owed(stored: tuple[Store, PnrPush]) -> None:
    store, push = stored
    assert push.flight is not None
    assert push.flight.departure is not None
    departure = push.flight.departure.utc
    assert departure is not None
    travel = Travel(store)
    early = travel.dashboard(departure.date(), departure - timedelta(hours=30))
    [row] = early.flights
    assert row.pushes_due == 0  # nothing owed yet at T-30h
    late = travel.dashboard(departure.date(), departure + timedelta(minutes=5))
    [row] = late.flights
    assert (row.pushes_due, len(row.status.pushes), row.pushes_missing) == (2, 2, 0)
    [carrier] = late.carriers
    assert (carrier.carrier, carrier.flights, carrier.pushes_received) == (push.flight.carrier, 1, 2)
    assert sum(late.hits_waiting.values()) >= 1
    assert travel.dashboard(departure.date() + timedelta(days=3), departure).flights == []
    assert not [e for e in store.events() if e.action.endswith(".read")]  # the board shows no one


def test_the_manifest_marks_hits_and_is_audited(stored: tuple[Store, PnrPush]) -> None:
    store, _ = stored
    travel = Travel(store)
    [flight] = store.flight_board([store.hits()[0].flight_date])
    view = travel.flight("ana", flight.flight.id)
    assert len(view.pushes) == 2
    assert view.manifest
    marked = [line for line in view.manifest if line.hits]
    assert len(marked) == 1
    assert all(line.check_in in {"boarded", "checked in", "not checked in"} for line in view.manifest)
    assert [e.subject for e in store.events() if e.action == "flight.read"] == [f"flight:{flight.flight.id}"]
    with pytest.raises(NoSuchRecord):
        travel.flight("ana", 10**9)


def test_a_booking_shows_what_changed_between_pushes(stored: tuple[Store, PnrPush]) -> None:
    store, push = stored
    travel = Travel(store)
    [booking] = store.bookings_by_locator(push.bookings[0].locator or "")
    view = travel.booking("ana", booking.id)
    assert [v.version.version for v in view.versions] == [1, 2]
    assert view.versions[0].changes == []
    paths = {c.path: c for c in view.versions[1].changes}
    assert paths["travellers[0].given_names"].after == "CHANGED"
    assert store.events()[-1].action == "booking.read"


def test_a_traveller_and_their_other_bookings(stored: tuple[Store, PnrPush]) -> None:
    store, _ = stored
    travel = Travel(store)
    hit = store.hits()[0]
    assert hit.hit.traveller_id is not None
    view = travel.traveller("ana", hit.hit.traveller_id)
    assert view.booking is not None
    assert view.booking.id == hit.hit.booking_id
    assert [h.id for h in view.hits] == [hit.id]
    assert all(b.id != view.booking.id for _, b in view.other_bookings)
    assert store.events()[-1].action == "traveller.read"
