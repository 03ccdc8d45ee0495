"""API data in screening: a person known from a passenger list alone is screened and hit, a traveller
merged with an API person is screened with what the passport gave (date of birth, document), and when the
booking comes after the list, the traveller's hit takes over the person's own (one match, one hit)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openpiu.clock import FixedClock
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import ApiPerson, DecisionOutcome, HitKind, PnrPush, Watchlist, WatchlistEntry
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.review import HitQuery, HitState, HitTakenOver, Review
from openpiu.store import MessageState, Store, open_store, upgrade
from openpiu.synth.corpus import demo_push, passenger_list_for

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
LIST = Watchlist(
    list_id="NAT-TERR",
    name="National terrorism list",
    version="1",
    source="national police",
    legal_basis="Art 6(3)(a) Directive 2016/681",
    category="terrorism",
    owner="PIU supervisor",
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    return open_store(url, clock=FixedClock(AT))


def listed(person: ApiPerson) -> WatchlistEntry:
    """A watchlist entry for the person (name in list form, its date of birth)."""
    return WatchlistEntry(
        entry_id="E-1",
        names=(f"{person.given_names} {person.surname}",),
        date_of_birth=person.date_of_birth,
    )


def ingestor(store: Store) -> Ingestor:
    clock = FixedClock(AT)
    return Ingestor(store, clock, screening=ScreeningStage(store, clock))


def push_and_list() -> tuple[PnrPush, ApiPerson, bytes]:
    push = demo_push(seed=3, bookings=30)
    plist = passenger_list_for(push)
    person = next(p for p in plist.persons if p.given_names and p.date_of_birth)
    return push, person, write_paxlst(plist)


def test_a_person_on_a_passenger_list_alone_is_screened_and_hit(store: Store) -> None:
    push, person, paxlst = push_and_list()
    store.import_watchlist(LIST, [listed(person)], actor="test")
    result = ingestor(store).ingest(paxlst, sender="1A", channel="test")
    assert result.passenger_lists == 1
    assert result.hits >= 1
    [hit] = [h.hit for h in store.hits() if h.hit.source_id == "E-1"]
    assert (hit.kind, hit.booking_id, hit.traveller_id, hit.flight_id) == (
        HitKind.WATCHLIST,
        None,
        None,
        None,
    )
    assert hit.traveller_key.startswith("api:")
    assert person.surname not in hit.traveller_key  # pseudonymous
    [screened] = [p for p in store.list_persons(1) if p.id == hit.api_person_id]
    assert (screened.person.surname, screened.person.date_of_birth) == (person.surname, person.date_of_birth)
    assert any(f.feature.startswith("date_of_birth") for f in hit.explanation)
    assert store.messages(MessageState.SCREENED)  # the list's message ends screened

    again = ingestor(store).ingest(paxlst + b"\n", sender="1A", channel="test")  # re-sent, not a duplicate
    assert again.passenger_lists == 1
    assert store.hit_count() == 1  # the same person on the same flight: the hit is updated

    ingestor(store).ingest(write_pnrgov(push), sender="1A", channel="test")  # the PNR data arrives
    assert store.unlinked_lists(hit_day(store)) == []


def hit_day(store: Store) -> object:
    return store.hits()[0].flight_date


def without_identity(push: PnrPush, person: ApiPerson) -> PnrPush:
    """The push with the person's traveller stripped of documents and date of birth (as many PNRs are)."""
    bookings = []
    for booking in push.bookings:
        travellers = tuple(
            dataclasses.replace(t, documents=(), date_of_birth=None)
            if t.surname == person.surname and t.given_names == person.given_names
            else t
            for t in booking.travellers
        )
        bookings.append(dataclasses.replace(booking, travellers=travellers))
    return dataclasses.replace(push, bookings=tuple(bookings))


def test_a_merged_traveller_is_screened_with_the_passport_data(store: Store) -> None:
    push, person, paxlst = push_and_list()
    store.import_watchlist(LIST, [listed(person)], actor="test")
    bare = without_identity(push, person)
    ingestor(store).ingest(write_pnrgov(bare), sender="1A", channel="test")
    before = [h.hit for h in store.hits() if h.hit.source_id == "E-1"]
    assert all(not any(f.feature.startswith("date_of_birth") for f in h.explanation) for h in before)

    result = ingestor(store).ingest(paxlst, sender="1A", channel="test")
    assert result.api_merged >= 1
    [hit] = [h.hit for h in store.hits() if h.hit.source_id == "E-1"]
    assert hit.booking_id is not None
    assert hit.traveller_id is not None
    assert hit.api_person_id is not None  # screened with the API person merged with the traveller
    dob = [f for f in hit.explanation if f.feature.startswith("date_of_birth")]
    assert dob, "the passport's date of birth was not used"
    assert dob[0].query == str(person.date_of_birth)
    assert not [h for h in store.hits() if h.hit.booking_id is None]  # no second hit for the API person


def test_the_travellers_hit_takes_over_the_api_persons_hit_when_the_booking_comes_later(store: Store) -> None:
    push, person, paxlst = push_and_list()
    store.import_watchlist(LIST, [listed(person)], actor="test")
    review = Review(store)
    ingestor(store).ingest(paxlst, sender="1A", channel="test")  # the passenger list first
    [alone] = review.queue("ana").items
    assert alone.hit.hit.booking_id is None
    review.decide("ana", alone.hit.id, DecisionOutcome.CONFIRMED, "the passport number is on the list")

    result = ingestor(store).ingest(write_pnrgov(push), sender="1A", channel="test")  # then the booking
    assert result.api_merged >= 1
    every = review.queue("ana", HitQuery(state=HitState.ALL)).items
    [kept] = [i for i in every if i.hit.hit.source_id == "E-1"]  # the analyst sees the match once
    assert kept.hit.hit.booking_id is not None
    assert kept.hit.hit.api_person_id is not None
    assert kept.hit.outcome is DecisionOutcome.CONFIRMED  # the decision taken on the API data holds
    assert kept.traveller_name.startswith(f"{person.surname}/")
    detail = review.detail("ana", kept.hit.id)
    assert [h.id for h in detail.taken_over] == [alone.hit.id]
    assert [d.decision.hit_id for d in detail.decisions] == [alone.hit.id]
    old = review.detail("ana", alone.hit.id).hit
    assert old.superseded_by == kept.hit.id

    with pytest.raises(HitTakenOver):
        review.decide("bo", alone.hit.id, DecisionOutcome.DISMISSED, "too late")
    revised = review.decide("bo", kept.hit.id, DecisionOutcome.DISMISSED, "another date of birth in the PNR")
    assert revised.supersedes == detail.decisions[0].id
    assert store.verify().ok

    # The list sent again and the booking pushed again change nothing: still one hit, still decided.
    ingestor(store).ingest(paxlst + b"\n", sender="1A", channel="test")
    ingestor(store).ingest(write_pnrgov(push) + b"\n", sender="1A", channel="test")
    every = review.queue("ana", HitQuery(state=HitState.ALL)).items
    assert [i.hit.id for i in every if i.hit.hit.source_id == "E-1"] == [kept.hit.id]
    assert review.queue("ana").total == 0
