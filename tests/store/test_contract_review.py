"""The storage contract for analysts' work, on every backend: append-only decisions and the hit queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract import full_push, received

from openpiu.clock import FixedClock
from openpiu.model import Decision, DecisionOutcome, Feature, Hit, HitKind, Watchlist, WatchlistEntry
from openpiu.store import AuditQuery, CriterionSpec, HitQuery, HitState, NotFound, Store


def hits_on_a_flight(store: Store) -> list[int]:
    """Three hits on travellers of one stored push (priorities 2, 1, 1; scores 0.8, 0.9, 0.95)."""
    push = full_push()
    stored = store.store_push(received(store, push, "t24"), push)
    travellers = store.current_travellers(stored.flight_id)
    assert len(travellers) >= 3
    hits = [
        Hit(
            kind=HitKind.WATCHLIST,
            flight_id=stored.flight_id,
            booking_id=traveller.booking_id,
            traveller_key=traveller.traveller.ref or str(traveller.position),
            traveller_id=traveller.id,
            source_id=f"E{n}",
            source_version="1",
            list_id="NAT-TERR",
            score=score,
            priority=priority,
            explanation=(Feature("name", "A", "B", score, score),),
        )
        for n, (traveller, score, priority) in enumerate(
            zip(travellers, (0.8, 0.9, 0.95), (2, 1, 1), strict=False)
        )
    ]
    assert store.record_hits(hits).new == 3
    return [h.id for h in sorted(store.hits(), key=lambda h: h.hit.source_id)]


def test_decisions_are_appended_and_the_latest_holds(store: Store, clock: FixedClock) -> None:
    first, *_ = hits_on_a_flight(store)
    confirmed = store.decide(Decision(first, DecisionOutcome.CONFIRMED, "same passport number", "ana"))
    assert confirmed.supersedes is None
    assert confirmed.decided_at == START
    clock.advance(timedelta(minutes=5))
    revised = store.decide(
        Decision(first, DecisionOutcome.DISMISSED, "the list's entry was withdrawn", "supervisor")
    )
    assert revised.supersedes == confirmed.id
    history = store.decisions(first)
    assert [d.decision.outcome for d in history] == [DecisionOutcome.CONFIRMED, DecisionOutcome.DISMISSED]
    assert history[0] == confirmed  # the first decision is kept as it was
    hit = store.hit(first)
    assert hit is not None
    assert (hit.outcome, hit.decided_at) == (DecisionOutcome.DISMISSED, START + timedelta(minutes=5))
    assert store.hit(10**9) is None


def test_a_decision_needs_a_hit_a_reason_and_a_person(store: Store) -> None:
    first, *_ = hits_on_a_flight(store)
    with pytest.raises(NotFound):
        store.decide(Decision(10**9, DecisionOutcome.CONFIRMED, "reason", "ana"))
    with pytest.raises(ValueError, match="reason"):
        store.decide(Decision(first, DecisionOutcome.CONFIRMED, "  ", "ana"))
    with pytest.raises(ValueError, match="who"):
        store.decide(Decision(first, DecisionOutcome.CONFIRMED, "reason", ""))
    assert store.decisions(first) == []


def test_the_queue_lists_open_hits_in_working_order(store: Store) -> None:
    low, high, highest = hits_on_a_flight(store)
    queue = store.hit_queue(HitQuery())
    # the same flight: priority first, then the higher score
    assert [item.hit.id for item in queue] == [highest, high, low]
    item = queue[0]
    flight = full_push().flight
    assert flight is not None
    assert item.flight == f"{flight.carrier} {flight.number} {flight.origin}-{flight.destination}"
    assert item.departure_utc is not None
    assert item.locator
    assert "/" in item.traveller_name
    assert store.count_hits(HitQuery()) == 3

    store.decide(Decision(highest, DecisionOutcome.DISMISSED, "other date of birth", "ana"))
    assert [i.hit.id for i in store.hit_queue(HitQuery())] == [high, low]
    assert [i.hit.id for i in store.hit_queue(HitQuery(state=HitState.DISMISSED))] == [highest]
    assert [i.hit.id for i in store.hit_queue(HitQuery(state=HitState.DECIDED))] == [highest]
    assert store.count_hits(HitQuery(state=HitState.ALL)) == 3
    assert [i.hit.id for i in store.hit_queue(HitQuery(priority=2))] == [low]
    assert [i.hit.id for i in store.hit_queue(HitQuery(limit=1, offset=1))] == [low]
    assert store.hit_queue(HitQuery(kind=HitKind.CRITERION)) == []
    day = item.hit.flight_date
    assert store.count_hits(HitQuery(from_date=day, to_date=day)) == 2
    assert store.count_hits(HitQuery(from_date=day + timedelta(days=1))) == 0
    assert store.count_hits(HitQuery(list_id="OTHER")) == 0
    assert store.count_hits(replace(HitQuery(), flight_id=item.hit.hit.flight_id)) == 2


def test_what_a_hit_names_can_be_looked_up(store: Store) -> None:
    first, *_ = hits_on_a_flight(store)
    hit = store.hit(first)
    assert hit is not None
    assert hit.hit.traveller_id is not None
    traveller = store.traveller(hit.hit.traveller_id)
    assert traveller is not None
    assert traveller.booking_id == hit.hit.booking_id
    assert traveller.traveller.surname
    assert store.traveller(10**9) is None
    assert store.api_person(10**9) is None

    watchlist = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU")
    entry = WatchlistEntry(entry_id="E0", names=("Ivan PETROV",))
    store.import_watchlist(watchlist, [entry], actor="supervisor")
    store.import_watchlist(replace(watchlist, version="2"), [], actor="supervisor")
    assert store.watchlist_entry("NAT-TERR", "1", "E0") == entry  # as in the version the hit names
    assert store.watchlist_entry("NAT-TERR", "2", "E0") is None

    spec = CriterionSpec(
        criterion_id="C-1",
        version="1",
        title="t",
        owner="o",
        purpose="terrorism",
        source="- id: C-1\n",
        approved_by="head of PIU",
        approved_on=None,
        review_date=None,
        expires_on=None,
    )
    store.activate_criterion(spec, actor="supervisor")
    store.deactivate_criterion("C-1", actor="supervisor")
    found = store.criterion("C-1", "1")
    assert found is not None
    assert (found.title, found.activated_by) == ("t", "supervisor")
    assert store.criterion("C-1", "2") is None


def test_a_decision_is_audited_with_it(store: Store) -> None:
    first, *_ = hits_on_a_flight(store)
    decided = store.decide(Decision(first, DecisionOutcome.CONFIRMED, "same passport", "ana"))
    [event] = [e for e in store.events() if e.action == "hit.decided"]
    assert (event.actor, event.subject, event.reason) == ("ana", f"hit:{first}", "same passport")
    assert event.details == {"outcome": "confirmed", "decision": decided.id, "supersedes": None}
    assert store.verify().ok


def test_the_board_and_the_surnames_of_a_day(store: Store) -> None:
    hits_on_a_flight(store)
    push = full_push()
    [flight] = store.find_flights(flight_date=store.hits()[0].flight_date)
    day = flight.flight_date
    [status] = store.flight_board([day, day - timedelta(days=1)])
    assert status.flight == flight
    assert [p.function for p in status.pushes] == [push.function]
    assert status.pushes == tuple(store.flight_pushes(flight.id))
    assert status.hits_waiting == {1: 2, 2: 1}
    assert status.hits_decided == 0
    assert status.bookings == sum(1 for b in push.bookings if not b.cancelled)
    assert store.flight_board([]) == []
    assert store.flight_board([day + timedelta(days=5)]) == []

    surnames = store.surnames(day, day)
    travellers = store.current_travellers(flight.id)
    assert set(surnames) == {(t.traveller.surname or "").upper() for t in travellers if t.traveller.surname}
    some = surnames[0]
    found = store.travellers_by_surname([some], day, day)
    assert found
    assert all((t.traveller.surname or "").upper() == some for t in found)
    assert store.travellers_by_surname([some], day + timedelta(days=1), day + timedelta(days=2)) == []
    assert store.travellers_by_surname([], day, day) == []


def test_the_audit_log_is_searched_newest_first(store: Store, clock: FixedClock) -> None:
    store.record(actor="ana", action="search.name", subject="travellers", reason="case 1")
    clock.advance(timedelta(hours=1))
    store.record(actor="sam", action="hit.read", subject="hit:12", reason="review")
    store.record(actor="ana", action="hit.read", subject="hit:120", reason="review")
    store.record(actor="ana", action="search%", subject="x_y")
    assert [e.seq for e in store.find_events(AuditQuery())] == [4, 3, 2, 1]
    assert [e.seq for e in store.find_events(AuditQuery(actor="ana"))] == [4, 3, 1]
    assert [e.seq for e in store.find_events(AuditQuery(action="search."))] == [1]  # a start, not a pattern
    assert [e.seq for e in store.find_events(AuditQuery(action="search%"))] == [4]
    assert [e.seq for e in store.find_events(AuditQuery(subject="hit:12"))] == [3, 2]
    assert [e.seq for e in store.find_events(AuditQuery(since=START + timedelta(minutes=30)))] == [4, 3, 2]
    assert [e.seq for e in store.find_events(AuditQuery(until=START))] == [1]
    assert [e.seq for e in store.find_events(AuditQuery(limit=2, offset=1))] == [3, 2]


def test_travellers_of_a_name_narrowed_by_given_names_date_of_birth_and_a_limit(store: Store) -> None:
    push = full_push()
    store.store_push(received(store, push, "t24"), push)
    person = next(t for b in push.bookings if not b.cancelled for t in b.travellers if t.date_of_birth)
    assert person.surname
    everyone = store.travellers_named(person.surname)
    exact = store.travellers_named(
        person.surname, given_names=person.given_names, date_of_birth=person.date_of_birth
    )
    assert exact
    assert all(
        (t.traveller.given_names, t.traveller.date_of_birth) == (person.given_names, person.date_of_birth)
        for t in exact
    )
    assert {t.id for t in exact} <= {t.id for t in everyone}
    assert store.travellers_named(person.surname, given_names="NOT-THEIRS") == []
    assert store.travellers_named(person.surname, limit=1) == everyone[-1:]
    # exact: the date of birth as given, none matching only none (a traveller's namesakes)
    namesakes = store.travellers_named(
        person.surname, given_names=person.given_names, date_of_birth=person.date_of_birth, exact=True
    )
    assert namesakes == exact
    assert store.travellers_named(person.surname, given_names=person.given_names, exact=True) == []
    # their namesake without a date of birth, on a booking of its own
    twin = replace(push.bookings[0], locator="TWIN01", travellers=(replace(person, date_of_birth=None),))
    later = replace(push, header=replace(push.header, message_ref="2"), bookings=(twin,), declared_bookings=1)
    store.store_push(received(store, later, "t24"), later)
    undated = store.travellers_named(person.surname, given_names=person.given_names, exact=True)
    assert [t.traveller.date_of_birth for t in undated] == [None]
    assert len(store.travellers_named(person.surname, given_names=person.given_names)) == len(exact) + 1
    assert (
        store.travellers_named(
            person.surname,
            given_names=person.given_names,
            date_of_birth=person.date_of_birth,
            exact=True,
            limit=1,
        )
        == exact[-1:]
    )


def test_booking_summaries_name_bookings_without_their_content(store: Store) -> None:
    push = full_push()
    stored = store.store_push(received(store, push, "t24"), push)
    bookings = store.current_bookings(stored.flight_id)
    wanted = [bookings[1].id, bookings[0].id, 10**9]
    found = store.booking_summaries(wanted)
    assert [(b.id, b.locator, b.flight_id, b.cancelled) for b in found] == [
        (b.id, b.locator, b.flight_id, b.cancelled) for b in sorted(bookings[:2], key=lambda b: b.id)
    ]
    assert store.booking_summaries([]) == []
