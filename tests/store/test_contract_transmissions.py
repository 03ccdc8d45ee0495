"""The storage contract for transmissions, on every backend: only confirmed hits, four eyes, every state
change kept in the history and the audit log in the same transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract_review import hits_on_a_flight

from openpiu.clock import FixedClock
from openpiu.model import (
    Decision,
    DecisionOutcome,
    HitKind,
    PartialDate,
    ScheduledTime,
    TransmissionContent,
    TransmissionState,
    TransmittedDocument,
    TransmittedFlight,
)
from openpiu.store import InvalidTransition, NotFound, Store, TransmissionQuery
from openpiu.store.schema import transmission_events, transmissions

S = TransmissionState

CONTENT = TransmissionContent(
    surname="PETROV",
    given_names="IVAN",
    date_of_birth=PartialDate(1980, 5, 17),
    nationality="RU",
    documents=(TransmittedDocument("P1234567", "P", "RU"),),
    flight=TransmittedFlight(
        carrier="LH",
        number="0400",
        flight_date=date(2025, 2, 3),
        origin="FRA",
        destination="JFK",
        departure=ScheduledTime.at("FRA", datetime(2025, 2, 3, 10, 5)),
        arrival=ScheduledTime.at("JFK", datetime(2025, 2, 3, 12, 55)),
    ),
    locator="ABC123",
    grounds_kind=HitKind.WATCHLIST,
    grounds="National list",
    category="terrorism",
    action="border_check",
    note="check at the gate",
)


def confirmed_hit(store: Store) -> int:
    first, *_ = hits_on_a_flight(store)
    store.decide(Decision(first, DecisionOutcome.CONFIRMED, "same passport number", "ana"))
    return first


def requested(store: Store, hit_id: int, *, by: str = "ana", authority: str = "bpol") -> int:
    return store.request_transmission(
        hit_id=hit_id,
        authority_id=authority,
        action="border_check",
        purpose="Art 6(2)(a) Directive 2016/681",
        content=CONTENT,
        requested_by=by,
    ).id


def test_a_transmission_is_requested_only_for_a_confirmed_hit(store: Store) -> None:
    first, second, third = hits_on_a_flight(store)
    with pytest.raises(InvalidTransition, match="not confirmed"):
        requested(store, first)  # no decision yet
    store.decide(Decision(second, DecisionOutcome.DISMISSED, "other date of birth", "ana"))
    with pytest.raises(InvalidTransition, match="not confirmed"):
        requested(store, second)
    with pytest.raises(NotFound):
        requested(store, 10**9)
    store.decide(Decision(third, DecisionOutcome.CONFIRMED, "same passport", "ana"))
    with pytest.raises(ValueError, match="authority"):
        requested(store, third, authority=" ")
    assert store.transmissions(TransmissionQuery()) == []

    made = store.request_transmission(
        hit_id=third,
        authority_id="bpol",
        action="border_check",
        purpose="Art 6(2)(a)",
        content=CONTENT,
        requested_by="ana",
    )
    hit = store.hit(third)
    assert hit is not None
    assert (made.state, made.requested_by, made.requested_at) == (S.REQUESTED, "ana", START)
    assert made.flight_date == hit.flight_date  # dated by the flight: masking and deletion reach it
    assert (made.attempts, made.decided_by, made.sent_at) == (0, None, None)
    assert store.transmission(made.id) == made
    assert made.content == CONTENT  # the content comes back whole (schedule times, partial dates)
    assert store.transmission(10**9) is None


def test_approval_takes_a_second_person(store: Store, clock: FixedClock) -> None:
    tid = requested(store, confirmed_hit(store))
    with pytest.raises(ValueError, match="four eyes"):
        store.approve_transmission(tid, actor="ana", reason="looks right")
    with pytest.raises(ValueError, match="four eyes"):
        store.approve_transmission(tid, actor=" ANA ", reason="looks right")
    with pytest.raises(ValueError, match="reason"):
        store.approve_transmission(tid, actor="sam", reason=" ")
    found = store.transmission(tid)
    assert found is not None
    assert found.state is S.REQUESTED
    clock.advance(timedelta(minutes=3))
    approved = store.approve_transmission(tid, actor="sam", reason="grounds and identity hold")
    assert approved.state is S.APPROVED
    assert (approved.decided_by, approved.decided_at) == ("sam", START + timedelta(minutes=3))
    assert approved.decision_reason == "grounds and identity hold"
    with pytest.raises(InvalidTransition, match="approved"):
        store.approve_transmission(tid, actor="kim", reason="again")
    with pytest.raises(NotFound):
        store.approve_transmission(10**9, actor="sam", reason="r")


def test_a_hit_dismissed_after_the_request_cannot_be_approved(store: Store) -> None:
    hit = confirmed_hit(store)
    tid = requested(store, hit)
    store.decide(Decision(hit, DecisionOutcome.DISMISSED, "the police withdrew the entry", "kim"))
    with pytest.raises(InvalidTransition, match="not confirmed"):
        store.approve_transmission(tid, actor="sam", reason="ok")
    assert store.reject_transmission(tid, actor="sam", reason="hit dismissed").state is S.REJECTED


def test_delivery_is_recorded_attempt_by_attempt(store: Store, clock: FixedClock) -> None:
    tid = requested(store, confirmed_hit(store))
    with pytest.raises(InvalidTransition):
        store.mark_sent(tid, actor="sam", reference="r")  # nothing leaves before the approval
    store.approve_transmission(tid, actor="sam", reason="ok")
    clock.advance(timedelta(seconds=10))
    failed = store.mark_failed(tid, actor="sam", error="bpol.example answered HTTP 503")
    assert (failed.state, failed.attempts, failed.error) == (S.FAILED, 1, "bpol.example answered HTTP 503")
    assert failed.last_attempt_at == START + timedelta(seconds=10)
    with pytest.raises(InvalidTransition):
        store.mark_sent(tid, actor="sam", reference="r")  # a failed one is sent again only by a retry
    clock.advance(timedelta(minutes=5))
    again = store.retry_transmission(tid, actor="kim")
    assert again.state is S.APPROVED
    with pytest.raises(InvalidTransition):
        store.retry_transmission(tid, actor="kim")  # one retry at a time
    sent = store.mark_sent(tid, actor="kim", reference="REF-77")
    assert (sent.state, sent.attempts, sent.delivery_ref, sent.error) == (S.SENT, 2, "REF-77", None)
    assert sent.sent_at == START + timedelta(minutes=5, seconds=10)
    with pytest.raises(InvalidTransition):
        store.reject_transmission(tid, actor="sam", reason="too late")

    history = store.transmission_history(tid)
    assert [(e.state, e.actor, e.attempt) for e in history] == [
        (S.REQUESTED, "ana", None),
        (S.APPROVED, "sam", None),
        (S.FAILED, "sam", 1),
        (S.APPROVED, "kim", None),
        (S.SENT, "kim", 2),
    ]
    assert history[2].reason == "bpol.example answered HTTP 503"
    assert history[4].reason == "REF-77"
    assert history[0].at == START
    assert store.transmission_history(10**9) == []


def test_a_failed_transmission_can_be_given_up(store: Store) -> None:
    tid = requested(store, confirmed_hit(store))
    store.approve_transmission(tid, actor="sam", reason="ok")
    store.mark_failed(tid, actor="sam", error="cannot reach the mail relay")
    given_up = store.reject_transmission(tid, actor="sam", reason="the authority asked to stop")
    assert (given_up.state, given_up.decision_reason) == (S.REJECTED, "the authority asked to stop")
    with pytest.raises(InvalidTransition):
        store.retry_transmission(tid, actor="sam")


def test_every_change_is_audited_without_the_content(store: Store) -> None:
    hit = confirmed_hit(store)
    tid = requested(store, hit)
    store.approve_transmission(tid, actor="sam", reason="ok")
    store.mark_sent(tid, actor="sam", reference="msg-1")
    other = requested(store, hit, authority="customs")
    store.reject_transmission(other, actor="sam", reason="not needed")
    events = [e for e in store.events(limit=1000) if e.action.startswith("transmission.")]
    assert [(e.action, e.actor, e.subject) for e in events] == [
        ("transmission.requested", "ana", f"transmission:{tid}"),
        ("transmission.approved", "sam", f"transmission:{tid}"),
        ("transmission.sent", "sam", f"transmission:{tid}"),
        ("transmission.requested", "ana", f"transmission:{other}"),
        ("transmission.rejected", "sam", f"transmission:{other}"),
    ]
    assert events[2].details == {
        "transmission": tid,
        "hit": hit,
        "authority": "bpol",
        "action": "border_check",
        "state": "sent",
        "attempt": 1,
        "reference": "msg-1",
    }
    assert events[4].reason == "not needed"
    logged = repr(events)
    assert "PETROV" not in logged
    assert "P1234567" not in logged
    assert store.verify().ok


def test_transmissions_are_listed_newest_first(store: Store) -> None:
    hit = confirmed_hit(store)
    first = requested(store, hit)
    second = requested(store, hit, authority="customs")
    store.reject_transmission(second, actor="sam", reason="no")
    assert [t.id for t in store.transmissions(TransmissionQuery())] == [second, first]
    assert [t.id for t in store.transmissions(TransmissionQuery(state=S.REQUESTED))] == [first]
    assert [t.id for t in store.transmissions(TransmissionQuery(authority_id="customs"))] == [second]
    assert [t.id for t in store.transmissions(TransmissionQuery(hit_id=hit, limit=1, offset=1))] == [first]
    assert store.transmissions(TransmissionQuery(hit_id=10**9)) == []


def test_history_rows_carry_the_flight_date(store: Store, engine: sa.Engine) -> None:
    tid = requested(store, confirmed_hit(store))
    with engine.connect() as connection:
        day = connection.execute(
            sa.select(transmissions.c.flight_date).where(transmissions.c.id == tid)
        ).scalar_one()
        days = connection.execute(
            sa.select(transmission_events.c.flight_date).where(transmission_events.c.transmission_id == tid)
        ).scalars()
        assert set(days) == {day}
