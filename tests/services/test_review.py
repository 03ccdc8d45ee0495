"""The analyst's review: the queue in working order, a hit with everything beside it, decisions that are
appended with a reason, and every read of personal data audited before it is served."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import DecisionOutcome, Watchlist, WatchlistEntry
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.review import NoSuchHit, Review
from openpiu.store import HitQuery, HitState, Store, open_store, upgrade
from openpiu.synth.corpus import demo_push

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
LIST = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU supervisor")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A stored push whose first two travellers with a name are on the list."""
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    clock = FixedClock(AT)
    store = open_store(url, clock=clock)
    push = demo_push(seed=5, bookings=20)
    named = [t for b in push.bookings if not b.cancelled for t in b.travellers if t.given_names][:2]
    entries = [
        WatchlistEntry(entry_id=f"E{n}", names=(f"{t.given_names} {t.surname}",)) for n, t in enumerate(named)
    ]
    store.import_watchlist(LIST, entries, actor="supervisor")
    Ingestor(store, clock, screening=ScreeningStage(store, clock)).ingest(
        write_pnrgov(push), sender="1A", channel="test"
    )
    return store


def test_the_queue_is_audited_and_in_working_order(store: Store) -> None:
    review = Review(store)
    page = review.queue("ana")
    assert page.total == len(page.items) >= 2
    assert [i.hit.hit.priority for i in page.items] == sorted(i.hit.hit.priority for i in page.items)
    [event] = [e for e in store.events() if e.action == "hits.queue.read"]
    assert event.actor == "ana"
    assert event.details["state"] == "open"
    with pytest.raises(ValueError, match="1 to"):
        review.queue("ana", HitQuery(limit=0))


def test_a_hit_shows_what_is_needed_to_decide_it(store: Store) -> None:
    review = Review(store)
    first = review.queue("ana").items[0].hit
    detail = review.detail("ana", first.id)
    assert detail.traveller is not None
    assert detail.booking is not None
    assert detail.flight is not None
    assert detail.entry is not None
    assert detail.entry.entry_id == first.hit.source_id
    assert detail.watchlist is not None
    assert detail.watchlist.watchlist.legal_basis == "Art 6(3)(a)"
    assert len(detail.co_travellers) == len(detail.booking.booking.travellers) - 1
    assert detail.outcome is None
    assert [e.subject for e in store.events() if e.action == "hit.read"] == [f"hit:{first.id}"]
    with pytest.raises(NoSuchHit):
        review.detail("ana", 10**9)


def test_decisions_need_a_reason_and_are_kept(store: Store) -> None:
    review = Review(store)
    first = review.queue("ana").items[0].hit
    with pytest.raises(ValueError, match="reason"):
        review.decide("ana", first.id, DecisionOutcome.CONFIRMED, "   ")
    review.decide("ana", first.id, DecisionOutcome.CONFIRMED, "date of birth and passport agree")
    review.decide("sam", first.id, DecisionOutcome.DISMISSED, "the entry was withdrawn by the police")
    detail = review.detail("sam", first.id)
    assert [d.decision.decided_by for d in detail.decisions] == ["ana", "sam"]
    assert detail.outcome is DecisionOutcome.DISMISSED
    assert first.id not in {i.hit.id for i in review.queue("ana").items}  # decided: not waiting
    assert first.id in {i.hit.id for i in review.queue("ana", HitQuery(state=HitState.DISMISSED)).items}
    assert [e.actor for e in store.events() if e.action == "hit.decided"] == ["ana", "sam"]
    with pytest.raises(NoSuchHit):
        review.decide("ana", 10**9, DecisionOutcome.CONFIRMED, "reason")
