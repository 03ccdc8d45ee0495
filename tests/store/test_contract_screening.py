"""The storage contract for screening, on every backend: watchlists in versions, criteria, hits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract import full_push, received

from openpiu.clock import FixedClock
from openpiu.model import (
    Decision,
    DecisionOutcome,
    Feature,
    Gender,
    Hit,
    HitKind,
    PartialDate,
    Watchlist,
    WatchlistEntry,
)
from openpiu.store import CriterionSpec, HitQuery, HitState, InvalidTransition, Store, StoreError
from openpiu.synth.corpus import passenger_list_for

LIST = Watchlist(
    list_id="NAT-TERR",
    name="National terrorism list",
    version="2026-11-01",
    source="national police",
    legal_basis="Art 6(3)(a) Directive 2016/681",
    category="terrorism",
    owner="PIU supervisor",
)
ENTRIES = [
    WatchlistEntry(
        entry_id="E1",
        names=("Ivan PETROV", "Iwan Petrow"),
        date_of_birth=PartialDate(1980, 5),
        nationalities=("RU",),
        documents=("AB1234567",),
        gender=Gender.MALE,
    ),
    WatchlistEntry(entry_id="E2", names=("Anna SCHMIDT",), valid_until=date(2026, 12, 31)),
]


def test_watchlists_are_kept_in_versions_and_the_latest_is_active(store: Store) -> None:
    first = store.import_watchlist(LIST, ENTRIES, actor="supervisor")
    assert (first.entries, first.active, first.imported_by) == (2, True, "supervisor")
    assert store.watchlist_entries(first.id) == ENTRIES
    with pytest.raises(StoreError, match="imported before"):
        store.import_watchlist(LIST, ENTRIES[:1], actor="supervisor")
    second = store.import_watchlist(replace(LIST, version="2026-11-15"), ENTRIES[:1], actor="supervisor")
    assert [w.watchlist.version for w in store.watchlists(active_only=True)] == ["2026-11-15"]
    assert [(w.watchlist.version, w.active) for w in store.watchlists()] == [
        ("2026-11-01", False),
        ("2026-11-15", True),
    ]
    assert store.watchlist_entries(second.id) == ENTRIES[:1]


def test_a_criterion_has_one_active_version(store: Store) -> None:
    spec = CriterionSpec(
        criterion_id="C-1",
        version="1",
        title="one-way cash",
        owner="supervisor A",
        purpose="terrorism",
        source="- id: C-1\n",
        approved_by="head of PIU",
        approved_on=date(2026, 11, 1),
        review_date=date(2027, 2, 1),
        expires_on=date(2027, 5, 1),
    )
    activated = store.activate_criterion(spec, actor="supervisor A")
    assert activated.activated_by == "supervisor A"
    store.activate_criterion(replace(spec, version="2"), actor="supervisor B")
    [active] = store.active_criteria()
    assert (active.version, active.activated_by, active.review_date) == (
        "2",
        "supervisor B",
        date(2027, 2, 1),
    )
    assert store.deactivate_criterion("C-1", actor="supervisor A")
    assert store.active_criteria() == []
    assert not store.deactivate_criterion("C-1", actor="supervisor A")


def test_a_re_push_updates_a_hit_instead_of_adding_one(store: Store, clock: FixedClock) -> None:
    push = full_push()
    stored = store.store_push(received(store, push, "t48"), push)
    [traveller, *_] = store.current_travellers(stored.flight_id)
    hit = Hit(
        kind=HitKind.WATCHLIST,
        flight_id=stored.flight_id,
        booking_id=traveller.booking_id,
        traveller_key=traveller.traveller.ref or "0",
        traveller_id=traveller.id,
        source_id="E1",
        source_version="2026-11-01",
        list_id="NAT-TERR",
        score=0.91,
        priority=1,
        explanation=(Feature("name", "PETROV/IVAN MR", "Ivan PETROV", 0.97, 0.6),),
    )
    assert store.record_hits([hit]).new == 1
    assert store.record_hits([hit]).updated == 1  # the same version screened again: not another push
    travellers = store.current_travellers(stored.flight_id)
    again = replace(hit, score=0.95, traveller_id=travellers[1].id)  # as a re-push's new row would be
    counts = store.record_hits([again])
    assert (counts.new, counts.updated) == (0, 1)
    [kept] = store.hits(flight_id=stored.flight_id)
    assert kept.hit.score == 0.95
    assert kept.hit.explanation == hit.explanation
    assert kept.screenings == 2
    assert kept.first_seen_at == START


def test_a_person_known_from_api_data_alone_has_hits_of_its_own(store: Store) -> None:
    push = full_push()
    plist = passenger_list_for(push)
    stored = store.store_passenger_list(received(store, push, "paxlst"), plist)
    flight_date = push.flight.departure.local.date() if push.flight and push.flight.departure else None
    assert stored.flight_id is None
    assert stored.flight_date == flight_date
    assert store.unlinked_lists(stored.flight_date) == [stored.id]
    persons = store.list_persons(stored.id)
    assert [p.person for p in persons] == list(plist.persons)
    assert persons[0].flight[0] == plist.legs[0].carrier
    hit = Hit(
        kind=HitKind.WATCHLIST,
        flight_id=None,
        booking_id=None,
        traveller_key="api:0123",
        traveller_id=None,
        source_id="E1",
        source_version="2026-11-01",
        list_id="NAT-TERR",
        score=0.9,
        priority=1,
        explanation=(Feature("name", "PETROV/IVAN", "Ivan PETROV", 0.97, 0.6),),
        api_person_id=persons[0].id,
    )
    assert store.record_hits([hit]).new == 1
    assert store.record_hits([hit]).updated == 1  # the same list screened again
    assert store.hit_count() == 1

    pushed = store.store_push(received(store, push, "pnr"), push)  # the PNR push makes the flight known
    assert store.unlinked_lists(stored.flight_date) == []
    assert store.list_persons(stored.id)[0].flight_id == pushed.flight_id
    counts = store.record_hits([replace(hit, flight_id=pushed.flight_id)])
    assert (counts.new, counts.updated) == (0, 1)
    [kept] = store.hits()
    assert (kept.hit.flight_id, kept.hit.api_person_id, kept.flight_date) == (
        pushed.flight_id,
        persons[0].id,
        stored.flight_date,
    )
    assert kept.screenings == 1  # the same person of the same list: not another screening
    with pytest.raises(ValueError, match="booking or an API person"):
        store.record_hits([replace(hit, api_person_id=None)])


def test_a_travellers_hit_takes_over_the_hit_of_the_api_person_merged_with_them(
    store: Store, clock: FixedClock
) -> None:
    # The passenger list first: its person is screened alone, hit, and the hit decided.
    push = full_push()
    plist = passenger_list_for(push)
    listed = store.store_passenger_list(received(store, push, "paxlst"), plist)
    person = store.list_persons(listed.id)[0]
    alone = Hit(
        kind=HitKind.WATCHLIST,
        flight_id=None,
        booking_id=None,
        traveller_key="api:0123",
        traveller_id=None,
        source_id="E1",
        source_version="2026-11-01",
        list_id="NAT-TERR",
        score=0.9,
        priority=1,
        explanation=(Feature("name", "PETROV/IVAN", "Ivan PETROV", 0.97, 0.6),),
        api_person_id=person.id,
    )
    other_entry = replace(alone, source_id="E2")
    store.record_hits([alone, other_entry])
    old_id, other_id = (h.id for h in sorted(store.hits(), key=lambda h: h.hit.source_id))
    first = store.decide(Decision(old_id, DecisionOutcome.CONFIRMED, "passport number listed", "ana"))
    assert store.count_hits(HitQuery(state=HitState.ALL)) == 2

    # The booking arrives; the person is merged with its traveller, whose hit names the person's key.
    pushed = store.store_push(received(store, push, "pnr"), push)
    traveller = store.current_travellers(pushed.flight_id)[0]
    clock.advance(timedelta(minutes=3))
    merged = replace(
        alone,
        flight_id=pushed.flight_id,
        booking_id=traveller.booking_id,
        traveller_key=traveller.traveller.ref or f"#{traveller.position}",
        traveller_id=traveller.id,
        api_key="api:0123",
    )
    assert store.record_hits([merged]).new == 1
    [new] = [h for h in store.hits() if h.hit.booking_id is not None]
    old = store.hit(old_id)
    assert old is not None
    assert (old.superseded_by, old.superseded_at) == (new.id, START + timedelta(minutes=3))
    assert (new.outcome, new.decided_at) == (DecisionOutcome.CONFIRMED, first.decided_at)
    assert store.taken_over(new.id) == [old]
    assert store.decisions(new.id) == [first]  # kept where it was made, shown with the new hit
    # The queue shows the match once: the traveller's hit (the other entry's API hit is not merged).
    assert {i.hit.id for i in store.hit_queue(HitQuery(state=HitState.ALL))} == {new.id, other_id}
    assert store.count_hits(HitQuery(state=HitState.CONFIRMED)) == 1
    [status] = store.flight_board([pushed.flight_date])
    assert (status.hits_decided, sum(status.hits_waiting.values())) == (1, 0)  # E2's API hit: no flight yet

    # The old hit is decided no more; a decision on the new one follows the old one's.
    with pytest.raises(InvalidTransition, match=f"taken over by hit {new.id}"):
        store.decide(Decision(old_id, DecisionOutcome.DISMISSED, "reason", "ana"))
    revised = store.decide(Decision(new.id, DecisionOutcome.DISMISSED, "another date of birth", "bo"))
    assert revised.supersedes == first.id
    assert [d.id for d in store.decisions(new.id)] == [first.id, revised.id]
    assert store.hit(old_id).outcome is DecisionOutcome.CONFIRMED  # type: ignore[union-attr]

    # Screened again: nothing more is taken over, nothing changes back.
    assert store.record_hits([merged]).updated == 1
    again = store.hit(new.id)
    assert again is not None
    assert again.outcome is DecisionOutcome.DISMISSED
    assert store.taken_over(new.id) == [old]


def test_a_travellers_hit_takes_over_an_open_api_hit_and_stays_open(store: Store) -> None:
    push = full_push()
    listed = store.store_passenger_list(received(store, push, "paxlst"), passenger_list_for(push))
    person = store.list_persons(listed.id)[0]
    alone = Hit(
        kind=HitKind.WATCHLIST,
        flight_id=None,
        booking_id=None,
        traveller_key="api:4567",
        traveller_id=None,
        source_id="E1",
        source_version="2026-11-01",
        list_id="NAT-TERR",
        score=0.9,
        priority=1,
        api_person_id=person.id,
    )
    store.record_hits([alone])
    pushed = store.store_push(received(store, push, "pnr"), push)
    traveller = store.current_travellers(pushed.flight_id)[0]
    key = traveller.traveller.ref or f"#{traveller.position}"
    common = {"flight_id": pushed.flight_id, "booking_id": traveller.booking_id, "traveller_id": traveller.id}
    # A traveller's hit on another entry, or naming another key, takes over nothing.
    store.record_hits([replace(alone, **common, traveller_key=key, source_id="E2", api_key="api:4567")])
    store.record_hits([replace(alone, **common, traveller_key=key, api_key="api:other")])
    assert all(h.superseded_by is None for h in store.hits())
    # The same entry and key: taken over; the traveller's hit waits for a decision (none was taken).
    store.record_hits([replace(alone, **common, traveller_key=key, api_key="api:4567")])
    [old] = [h for h in store.hits() if h.hit.booking_id is None]
    assert old.superseded_by is not None
    taker = store.hit(old.superseded_by)
    assert taker is not None
    assert (taker.hit.source_id, taker.outcome) == ("E1", None)
    assert [i.hit.id for i in store.hit_queue(HitQuery()) if i.hit.hit.source_id == "E1"] == [taker.id]
