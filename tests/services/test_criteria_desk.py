"""The criteria pages' use cases on a store: review and expiry flags, the back-test per flight date (the days
adding up to the whole, what is kept reading back equal without the sample), and what approval refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PnrPush
from openpiu.pipeline import Ingestor
from openpiu.services.criteria_desk import BacktestResult, CriteriaDesk, DraftRefused, InvalidRange
from openpiu.store import CriterionSpec, Store, open_store, upgrade
from openpiu.synth.corpus import demo_push

AT = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
TODAY = AT.date()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, PnrPush]]:
    url = f"sqlite:///{tmp_path}/openpiu.db"
    upgrade(url)
    clock = FixedClock(AT)
    store = open_store(url, clock=clock)
    push = demo_push(seed=5, bookings=12)
    Ingestor(store, clock).ingest(write_pnrgov(push), sender="1A", channel="test")
    try:
        yield store, push
    finally:
        store.close()


def draft_text(carrier: str, *, extra: str = "") -> str:
    return f"""- id: C-1
  title: Travellers of one carrier without a frequent-flyer number
  owner: PIU targeting team
  purpose: annex2-04
  version: 1
  approval: null
  review_date: 2027-03-01
  expires_on: 2027-06-01
  condition:
    all:
      - {{feature: carrier, is: {carrier}}}
      - {{feature: frequent_flyer, is: false}}{extra}
- id: C-2
  title: Nobody
  owner: PIU targeting team
  purpose: terrorism
  version: 1
  approval: null
  review_date: 2027-03-01
  expires_on: 2027-06-01
  condition:
    all:
      - {{feature: carrier, is: ZZ}}
      - {{feature: one_way, is: true}}
"""


@pytest.mark.parametrize(
    ("review", "expiry", "flags"),
    [
        (date(2027, 3, 1), date(2027, 6, 1), ()),
        (date(2026, 11, 1), date(2027, 6, 1), ("review overdue since 2026-11-01",)),
        (date(2026, 12, 20), date(2027, 6, 1), ("review due in 21 days",)),
        (date(2026, 12, 1), date(2026, 12, 9), ("review due in 2 days", "expires in 10 days")),
        (
            date(2026, 10, 1),
            date(2026, 11, 1),
            ("review overdue since 2026-10-01", "expired on 2026-11-01: it no longer matches"),
        ),
    ],
)
def test_active_criteria_are_flagged_for_review_and_expiry(
    world: tuple[Store, PnrPush], review: date, expiry: date, flags: tuple[str, ...]
) -> None:
    store, _ = world
    store.activate_criterion(
        CriterionSpec(
            "C-9", "1", "t", "o", "terrorism", "- id: C-9\n", "head", date(2026, 1, 1), review, expiry
        ),
        actor="test",
    )
    [active] = CriteriaDesk(store, FixedClock(AT)).active()
    assert active.flags == flags
    assert active.attention is bool(flags)


def test_the_backtest_counts_per_flight_date_and_keeps_counts_only(world: tuple[Store, PnrPush]) -> None:
    store, push = world
    assert push.flight is not None
    assert push.flight.departure is not None
    day = push.flight.departure.local.date()
    desk = CriteriaDesk(store, FixedClock(AT))
    draft = desk.save("ana", draft_text(push.flight.carrier))
    view, result = desk.backtest("ana", draft.id, day - timedelta(days=1), day + timedelta(days=1))
    assert [d.day for d in result.days] == [day - timedelta(days=1), day, day + timedelta(days=1)]
    assert sum(d.travellers for d in result.days) == result.travellers > 0
    assert sum(d.flights for d in result.days) == result.flights == 1
    first, second = result.criteria
    assert first.criterion_id == "C-1"
    assert [d.travellers for d in first.days] == [0, first.travellers, 0]
    assert first.travellers > 0
    assert first.share == first.travellers / result.travellers
    assert len(first.sample) == min(10, first.travellers)
    assert (second.criterion_id, second.travellers, second.flights) == ("C-2", 0, 0)
    kept = view.draft.backtest
    assert kept is not None
    assert (kept.start, kept.end, kept.by) == (day - timedelta(days=1), day + timedelta(days=1), "ana")
    again = BacktestResult.from_summary(kept.start, kept.end, kept.summary)
    assert again.criteria[0].sample == ()  # who matched is never kept
    assert again.days == result.days
    assert [c.days for c in again.criteria] == [c.days for c in result.criteria]
    assert "sample" not in str(kept.summary)
    assert [e.action for e in store.events(limit=100)].count("criteria.backtested") == 1


def test_the_backtest_and_approval_refuse_what_they_must(world: tuple[Store, PnrPush]) -> None:
    store, push = world
    assert push.flight is not None
    desk = CriteriaDesk(store, FixedClock(AT))
    draft = desk.save("ana", draft_text(push.flight.carrier))
    with pytest.raises(InvalidRange, match="before it starts"):
        desk.backtest("ana", draft.id, TODAY, TODAY - timedelta(days=1))
    with pytest.raises(InvalidRange, match="366"):
        desk.backtest("ana", draft.id, TODAY - timedelta(days=400), TODAY)
    with pytest.raises(DraftRefused, match="not back-tested"):
        desk.approve("sam", draft.id)
    desk.backtest("ana", draft.id, TODAY, TODAY)
    with pytest.raises(DraftRefused, match="four eyes"):
        desk.approve("ana", draft.id)
    specs = desk.approve("sam", draft.id)
    assert [(s.criterion_id, s.approved_by, s.approved_on) for s in specs] == [
        ("C-1", "sam", TODAY),
        ("C-2", "sam", TODAY),
    ]
    assert "approved_by: sam" in specs[0].source  # the active text says who approved it

    expired = desk.save(
        "ana",
        draft_text(push.flight.carrier)
        .replace("version: 1", "version: 2")
        .replace("2027-06-01", "2026-11-01")
        .replace("2027-03-01", "2026-10-01"),
    )
    desk.backtest("ana", expired.id, TODAY, TODAY)
    with pytest.raises(DraftRefused, match="expired"):
        desk.approve("sam", expired.id)
    with pytest.raises(DraftRefused, match="empty"):
        desk.save("ana", " \n ")
    with pytest.raises(DraftRefused, match="say why"):
        desk.deactivate("sam", "C-1", " ")
    desk.deactivate("sam", "C-1", "narrowed in a new version")
    assert [s.criterion_id for s in store.active_criteria()] == ["C-2"]
