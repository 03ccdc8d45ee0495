"""The storage contract for reconciliation, on every backend: full pushes that replace, split pushes,
codeshare pushes, API data and its merges, messages counted but not kept."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract import full_push, received

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import split_push
from openpiu.model import PnrPush
from openpiu.store import ApiMatch, Store, encode_push
from openpiu.synth.corpus import passenger_list_for


def later(push: PnrPush, hours: int, ref: str, *, bookings: tuple[object, ...] | None = None) -> PnrPush:
    """The same flight pushed again ``hours`` later (a full push unless the caller changes it)."""
    assert push.header.prepared_at is not None
    header = dataclasses.replace(
        push.header, message_ref=ref, prepared_at=push.header.prepared_at + timedelta(hours=hours)
    )
    chosen = push.bookings if bookings is None else bookings
    return dataclasses.replace(push, header=header, bookings=chosen, declared_bookings=len(chosen))  # type: ignore[arg-type]


def test_a_full_push_replaces_the_bookings_it_no_longer_lists(store: Store) -> None:
    push = full_push()
    first = store.store_push(received(store, push, "t48"), push)
    gone = {push.bookings[3].locator, push.bookings[4].locator}
    closure = later(push, 24, "2", bookings=tuple(b for b in push.bookings if b.locator not in gone))
    closure_id = received(store, closure, "closure")
    result = store.store_push(closure_id, closure)
    assert result.removed == 2
    assert result.flight_id == first.flight_id
    current = {b.locator: b for b in store.current_bookings(first.flight_id)}
    for locator in gone:
        assert current[locator].cancelled
        assert current[locator].removed_by == closure_id
        assert current[locator].versions == 1  # the versions are what carriers sent; removal is apart
        assert current[locator].booking == next(b for b in push.bookings if b.locator == locator)
    kept = push.bookings[5].locator
    assert not current[kept].cancelled
    assert current[kept].removed_by is None
    assert len(store.current_bookings(first.flight_id, include_cancelled=False)) == len(push.bookings) - 2

    # An older full push arriving late removes nothing the newer push listed.
    late = later(push, 12, "3", bookings=push.bookings[6:])
    assert store.store_push(received(store, late, "late"), late).removed == 0
    assert not {b.locator: b for b in store.current_bookings(first.flight_id)}[kept].cancelled

    # Listed again by a newer push: on the flight again.
    again = later(push, 30, "4")
    store.store_push(received(store, again, "again"), again)
    back = {b.locator: b for b in store.current_bookings(first.flight_id)}
    for locator in gone:
        assert not back[locator].cancelled
        assert back[locator].removed_by is None

    # Storing the full push again is recognised; the bookings it removed are back on the flight now.
    repeated = store.store_push(closure_id, closure)
    assert repeated.already_stored
    assert repeated.removed == 0


def test_an_update_push_removes_nothing(store: Store) -> None:
    push = full_push()
    first = store.store_push(received(store, push, "t48"), push)
    update = dataclasses.replace(later(push, 24, "2", bookings=push.bookings[:2]), function="141")
    assert store.store_push(received(store, update, "update"), update).removed == 0
    assert not any(b.cancelled for b in store.current_bookings(first.flight_id))


def test_parts_of_a_split_push_wait_until_the_push_is_whole(store: Store, clock: FixedClock) -> None:
    ids = [store.receive(f"part {i}".encode(), sender="LH", channel="test").message_id for i in range(4)]
    series = store.add_part(ids[2], key="K", part=3, final=True)
    assert (series.complete, series.missing, series.final_part) == (False, [1, 2], 3)
    series = store.add_part(ids[0], key="K", part=1, final=False)
    assert store.add_part(ids[0], key="K", part=1, final=False) == series  # adding again changes nothing
    assert series.missing == [2]
    clock.advance(timedelta(minutes=1))
    # A part number the open series already holds, from another message, starts a new series.
    other = store.add_part(ids[3], key="K", part=1, final=False)
    assert other.id != series.id
    assert store.series_of(ids[0]) == series
    assert [s.id for s in store.open_series(opened_before=clock.now())] == [series.id]
    assert [s.id for s in store.open_series(opened_before=clock.now() + timedelta(seconds=1))] == [
        series.id,
        other.id,
    ]
    store.close_series(series.id, "quarantined", reason="incomplete")
    closed = store.series_of(ids[2])
    assert closed is not None
    assert closed.state == "quarantined"
    assert store.add_part(ids[1], key="K", part=2, final=False).id == other.id
    with pytest.raises(ValueError, match="stored or quarantined"):
        store.close_series(other.id, "open")


def test_a_split_push_is_stored_as_one_push(store: Store) -> None:
    push = full_push()
    parts = split_push(push, 12)
    assert len(parts) == 3
    stored_parts = [(received(store, part, f"part{n}"), part) for n, part in enumerate(parts)]
    result = store.store_parts(stored_parts)
    assert result.versions == len(push.bookings)
    assert result.message_ids == tuple(mid for mid, _ in stored_parts)
    [flight] = store.find_flights(flight_date=result.flight_date)
    assert flight.push_count == 1  # one push, in three messages
    last = {b.locator: b for b in store.current_bookings(result.flight_id)}[push.bookings[-1].locator]
    assert (last.message_id, last.part) == (stored_parts[2][0], 3)
    assert store.store_parts(stored_parts).already_stored
    for mid, _ in stored_parts:
        message = store.message(mid)
        assert message is not None
        assert message.flight_date == result.flight_date


def test_a_codeshare_push_is_stored_on_the_operating_flight(store: Store) -> None:
    push = full_push()
    assert push.flight is not None
    operating = push.flight
    marketing = dataclasses.replace(
        operating,
        carrier="XQ",
        number="9001",
        operating_carrier=operating.carrier,
        operating_number=operating.number,
    )
    listed = dataclasses.replace(later(push, 1, "2", bookings=push.bookings[:3]), flight=marketing)
    by_partner = store.store_push(received(store, listed, "partner"), listed)
    by_operator = store.store_push(received(store, push, "operator"), push)
    assert by_partner.flight_id == by_operator.flight_id
    day = by_operator.flight_date
    [found] = store.find_flights(flight_date=day, carrier="XQ", number="9001")
    assert found.id == by_operator.flight_id
    assert found.flight.designator == operating.designator  # kept under the operating designator
    assert [f.id for f in store.find_flights(flight_date=day, carrier=operating.carrier)] == [found.id]
    assert store.booking_counts().flights == 1


def test_api_data_is_kept_apart_and_merged_with_travellers(store: Store) -> None:
    push = full_push()
    plist = passenger_list_for(push)
    assert plist.persons
    list_id = received(store, push, "paxlst")
    early = store.store_passenger_list(list_id, plist)
    assert early.flight_id is None  # no PNR push for the flight yet
    assert early.persons == len(plist.persons)
    assert store.store_passenger_list(list_id, plist).already_stored

    pushed = store.store_push(received(store, push, "pnr"), push)
    persons = store.api_persons(pushed.flight_id)
    assert [p.person for p in persons] == list(plist.persons)  # linked to the flight, read back whole
    assert all(p.match is None for p in persons)

    travellers = store.current_travellers(pushed.flight_id)
    assert len(travellers) == sum(len(b.travellers) for b in push.bookings if not b.cancelled)
    first = travellers[0]
    match = ApiMatch(persons[0].id, first.id, first.booking_id, "document", 0.99, ("document number equal",))
    assert store.record_api_matches([match]) == 1
    other = dataclasses.replace(match, traveller_id=travellers[1].id, confidence=0.5)
    assert store.record_api_matches([other]) == 0  # a person keeps its first merge
    [merged] = [p for p in store.api_persons(pushed.flight_id) if p.match is not None]
    assert merged.match == match
    assert len(store.api_persons(pushed.flight_id, unmatched_only=True)) == len(persons) - 1
    counts = store.api_counts()
    assert (counts.lists, counts.persons, counts.matched) == (1, len(persons), 1)


def test_messages_not_kept_are_counted_by_reason(store: Store, clock: FixedClock) -> None:
    day = clock.now().date()
    store.count_discarded("outside the notified scope", day=day)
    store.count_discarded("outside the notified scope", day=day)
    store.count_discarded("outside the notified scope", day=day + timedelta(days=1))
    counts = store.message_counts()
    assert counts.discarded == {"outside the notified scope": 3}
    assert counts.total == 0


def test_parts_encoded_ahead_are_stored_as_parts_encoded_here(store: Store) -> None:
    """A reader process encodes pushes for the writer (`encode_push`); what is stored is the same."""
    push = full_push()
    parts = split_push(push, 12)
    stored_parts = [(received(store, part, f"part{n}"), part) for n, part in enumerate(parts)]
    # Two of the three parts encoded ahead, the other encoded by the store.
    ahead = {mid: encode_push(part) for mid, part in stored_parts[:2]}
    result = store.store_parts(stored_parts, encoded=ahead)
    assert result.versions == len(push.bookings)
    current = {b.locator: b for b in store.current_bookings(result.flight_id)}
    assert [current[b.locator].booking for b in push.bookings] == list(push.bookings)
    names = {
        (t.traveller.surname, t.traveller.given_names) for t in store.current_travellers(result.flight_id)
    }
    assert names == {(t.surname, t.given_names) for b in push.bookings for t in b.travellers}

    other = later(push, 24, "2")
    other_id = received(store, other, "other")
    with pytest.raises(ValueError, match="encoded"):  # encoded for another push: refused, not stored
        store.store_parts([(other_id, other)], encoded={other_id: encode_push(parts[0])})
    assert not store.store_parts([(other_id, other)]).already_stored
