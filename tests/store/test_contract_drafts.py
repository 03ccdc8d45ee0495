"""The storage contract for criteria drafts, on every backend: the text kept as written, revisions as new
drafts, the back-test's counts kept with its audited read, and approval (four eyes, back-tested first,
versions never rewritten) activating the criteria in the same transaction as its audit events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)

from openpiu.clock import FixedClock
from openpiu.store import CriterionSpec, InvalidTransition, NotFound, Store
from openpiu.store.schema import criteria_drafts

TEXT = """- id: C-0001
  title: One-way cash tickets bought late
  owner: PIU targeting team
  purpose: annex2-04
  version: 1
  approval: null
  review_date: 2025-05-01
  expires_on: 2025-08-01
  condition:
    all:
      - {feature: one_way, is: true}
      - {feature: form_of_payment, in: [CASH]}
"""
SUMMARY = {"travellers": 120, "flights": 3, "criteria": [{"id": "C-0001", "travellers": 4}]}


def spec(version: str = "1", *, approver: str = "sam") -> CriterionSpec:
    return CriterionSpec(
        criterion_id="C-0001",
        version=version,
        title="One-way cash tickets bought late",
        owner="PIU targeting team",
        purpose="annex2-04",
        source=TEXT,
        approved_by=approver,
        approved_on=START.date(),
        review_date=date(2025, 5, 1),
        expires_on=date(2025, 8, 1),
    )


def backtested(store: Store, *, author: str = "ana") -> int:
    draft = store.save_draft(TEXT, author=author)
    store.record_backtest(
        draft.id,
        actor=author,
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        summary=SUMMARY,
        criteria=["C-0001"],
    )
    return draft.id


def test_a_draft_is_kept_as_written_and_revised_as_a_new_draft(store: Store, clock: FixedClock) -> None:
    first = store.save_draft(TEXT, author="ana")
    assert (first.text, first.author, first.created_at, first.based_on) == (TEXT, "ana", START, None)
    assert (first.backtest, first.approved_by, first.approved_at, first.state) == (None, None, None, "draft")
    assert store.draft(first.id) == first
    clock.advance(timedelta(minutes=5))
    revised = store.save_draft(
        TEXT.replace("late", "shortly before departure"), author="kim", based_on=first.id
    )
    assert revised.based_on == first.id
    assert revised.id != first.id
    assert store.draft(first.id) == first  # the text revised is not touched
    assert [d.id for d in store.drafts()] == [revised.id, first.id]  # newest first
    assert [d.id for d in store.drafts(limit=1)] == [revised.id]
    assert store.draft(10**9) is None
    with pytest.raises(NotFound):
        store.save_draft(TEXT, author="ana", based_on=10**9)
    with pytest.raises(ValueError, match="author"):
        store.save_draft(TEXT, author=" ")
    with pytest.raises(ValueError, match="text"):
        store.save_draft("  \n", author="ana")
    saved = [e for e in store.events(limit=100) if e.action == "criteria.draft.saved"]
    assert [(e.actor, e.subject) for e in saved] == [
        ("ana", f"criteria draft {first.id}"),
        ("kim", f"criteria draft {revised.id}"),
    ]
    assert TEXT not in str(saved[0].details)  # the event names the draft; the text is in the draft


def test_a_backtest_keeps_its_counts_and_its_read_is_audited(store: Store, clock: FixedClock) -> None:
    draft = store.save_draft(TEXT, author="ana")
    clock.advance(timedelta(minutes=1))
    tested = store.record_backtest(
        draft.id,
        actor="ana",
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        summary=SUMMARY,
        criteria=["C-0001"],
    )
    assert tested.state == "back-tested"
    assert tested.backtest is not None
    assert (tested.backtest.start, tested.backtest.end) == (date(2025, 1, 1), date(2025, 1, 31))
    assert (tested.backtest.by, tested.backtest.at) == ("ana", START + timedelta(minutes=1))
    assert tested.backtest.summary == SUMMARY
    assert store.draft(draft.id) == tested
    [event] = [e for e in store.events(limit=100) if e.action == "criteria.backtested"]
    assert (event.actor, event.subject) == ("ana", "flights 2025-01-01..2025-01-31")
    assert event.reason is not None
    assert "Art 6(2)(c)" in event.reason
    assert event.details == {"draft": draft.id, "criteria": ["C-0001"]}
    with pytest.raises(NotFound):
        store.record_backtest(
            10**9, actor="ana", start=date(2025, 1, 1), end=date(2025, 1, 2), summary={}, criteria=[]
        )


def test_approval_takes_another_supervisor_and_a_backtest(store: Store, clock: FixedClock) -> None:
    untested = store.save_draft(TEXT, author="ana")
    with pytest.raises(InvalidTransition, match="back-tested"):
        store.approve_draft(untested.id, [spec()], actor="sam")
    draft_id = backtested(store)
    with pytest.raises(InvalidTransition, match="four eyes"):
        store.approve_draft(draft_id, [spec(approver="ana")], actor="ana")
    with pytest.raises(InvalidTransition, match="four eyes"):
        store.approve_draft(draft_id, [spec(approver="ana")], actor=" ANA ")
    with pytest.raises(ValueError, match="at least one"):
        store.approve_draft(draft_id, [], actor="sam")
    with pytest.raises(NotFound):
        store.approve_draft(10**9, [spec()], actor="sam")
    assert store.active_criteria() == []

    clock.advance(timedelta(hours=1))
    approved = store.approve_draft(draft_id, [spec()], actor="sam")
    assert (approved.state, approved.approved_by, approved.approved_at) == (
        "approved",
        "sam",
        START + timedelta(hours=1),
    )
    [active] = store.active_criteria()
    assert (active.criterion_id, active.version, active.approved_by) == ("C-0001", "1", "sam")
    assert (active.activated_by, active.activated_at) == ("sam", START + timedelta(hours=1))
    assert active.source == TEXT
    with pytest.raises(InvalidTransition, match="approved"):
        store.approve_draft(draft_id, [spec()], actor="kim")
    with pytest.raises(InvalidTransition, match="approved"):
        store.record_backtest(
            draft_id, actor="kim", start=date(2025, 1, 1), end=date(2025, 1, 2), summary={}, criteria=[]
        )

    events = [
        e for e in store.events(limit=100) if e.action in ("criteria.draft.approved", "criterion.activated")
    ]
    assert [(e.action, e.actor, e.subject) for e in events] == [
        ("criteria.draft.approved", "sam", f"criteria draft {draft_id}"),
        ("criterion.activated", "sam", "criterion C-0001 version 1"),
    ]
    assert events[0].reason == "written by ana, back-tested by ana"


def test_an_approved_version_is_never_rewritten(store: Store) -> None:
    store.approve_draft(backtested(store), [spec()], actor="sam")
    again = backtested(store, author="kim")
    with pytest.raises(InvalidTransition, match="version 1 exists"):
        store.approve_draft(again, [spec()], actor="sam")
    draft = store.draft(again)
    assert draft is not None
    assert draft.approved_at is None  # nothing of the refused approval was written
    newer = store.approve_draft(again, [spec("2")], actor="sam")
    assert newer.approved_by == "sam"
    assert [(c.criterion_id, c.version) for c in store.active_criteria()] == [("C-0001", "2")]


def test_drafts_are_rows_of_their_own_table(store: Store, engine: sa.Engine) -> None:
    draft_id = backtested(store)
    with engine.connect() as connection:
        row = connection.execute(sa.select(criteria_drafts).where(criteria_drafts.c.id == draft_id)).one()
    assert row.text == TEXT
    assert row.backtest == SUMMARY
    assert (row.backtest_from, row.backtest_to) == (date(2025, 1, 1), date(2025, 1, 31))
