"""Searching stored travellers: by name with the screening's matcher (spelling variants found, a
contradicting date of birth ranked lower), by locator and flight; never without a purpose; audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PartialDate, PnrPush, Traveller
from openpiu.pipeline import Ingestor
from openpiu.services.search import Search, SearchRefused
from openpiu.store import Store, open_store, upgrade
from openpiu.synth.corpus import demo_push

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
PURPOSE = "request 2026/117 of the national police, Art 6(2)(b)"


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Store, PnrPush]:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    store = open_store(url, clock=FixedClock(AT))
    push = demo_push(seed=9, bookings=40)
    Ingestor(store, FixedClock(AT)).ingest(write_pnrgov(push), sender="1A", channel="test")
    return store, push


def someone(push: PnrPush) -> Traveller:
    return next(
        t
        for b in push.bookings
        if not b.cancelled
        for t in b.travellers
        if t.surname and len(t.surname) >= 6 and t.given_names
    )


def day_of(push: PnrPush) -> datetime:
    assert push.flight is not None
    assert push.flight.departure is not None
    return push.flight.departure.local


def test_a_name_is_found_under_another_spelling(stored: tuple[Store, PnrPush]) -> None:
    store, push = stored
    person = someone(push)
    assert person.surname is not None
    misspelt = person.surname[:-1] + ("A" if person.surname[-1] != "A" else "E")
    day = day_of(push).date()
    found = Search(store).by_name(
        "ana", PURPOSE, surname=misspelt, given_names=person.given_names, from_date=day, to_date=day
    )
    assert found, "the traveller was not found under a one-letter misspelling"
    best = found[0]
    assert (best.traveller.traveller.surname, best.traveller.traveller.given_names) == (
        person.surname,
        person.given_names,
    )
    assert any(f.feature == "name" for f in best.explanation)
    [event] = [e for e in store.events() if e.action == "search.name"]
    assert event.reason == PURPOSE
    assert event.details["results"] == len(found)
    assert event.details["terms"]["surname"] == misspelt.upper()


def test_a_contradicting_date_of_birth_ranks_lower(stored: tuple[Store, PnrPush]) -> None:
    store, push = stored
    person = someone(push)
    assert person.surname is not None
    day = day_of(push).date()
    search = Search(store)
    plain = search.by_name(
        "ana", PURPOSE, surname=person.surname, given_names=person.given_names, from_date=day, to_date=day
    )
    other = search.by_name(
        "ana",
        PURPOSE,
        surname=person.surname,
        given_names=person.given_names,
        date_of_birth=PartialDate(1901, 1, 1),
        from_date=day,
        to_date=day,
        min_score=0.0,
    )
    assert plain
    assert other
    assert other[0].score < plain[0].score


def test_searches_need_a_purpose_and_a_bounded_range(stored: tuple[Store, PnrPush]) -> None:
    store, push = stored
    day = day_of(push).date()
    search = Search(store)
    with pytest.raises(SearchRefused, match="why"):
        search.by_name("ana", "curious", surname="SMITH", from_date=day, to_date=day)
    with pytest.raises(SearchRefused, match="range"):
        search.by_name("ana", PURPOSE, surname="SMITH", from_date=day, to_date=day + timedelta(days=90))
    with pytest.raises(SearchRefused, match="surname"):
        search.by_name("ana", PURPOSE, surname="  ", from_date=day, to_date=day)
    assert not [e for e in store.events() if e.action.startswith("search.")]  # refused: nothing searched


def test_locator_and_flight_searches(stored: tuple[Store, PnrPush]) -> None:
    store, push = stored
    search = Search(store)
    locator = push.bookings[0].locator
    assert locator is not None
    [booking] = search.by_locator("ana", PURPOSE, locator.lower())
    assert booking.locator == locator
    assert push.flight is not None
    flights = search.by_flight(
        "ana",
        PURPOSE,
        flight_date=day_of(push).date(),
        carrier=push.flight.carrier,
        number=push.flight.number,
    )
    assert [f.flight.designator for f in flights] == [push.flight.designator]
    assert [e.action for e in store.events() if e.action.startswith("search.")] == [
        "search.locator",
        "search.flight",
    ]
