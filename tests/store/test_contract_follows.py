"""The storage contract for follows, on every backend: only a confirmed identity has grounds; starting,
reviewing and ending write the follow's events and audit entries; the occurrences of followed identities
are found for a whole push at once, not after the follow expired or ended, and a follow stays with its
identity when it is merged into another. And the bookings of travellers' identities, for journeys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract import full_push
from test_contract_identities import ingest_push

from openpiu.clock import FixedClock
from openpiu.model import Decision, DecisionOutcome, Hit, HitKind
from openpiu.model.follows import FollowEventKind, FollowState
from openpiu.store import InvalidTransition, NotFound, Occurrence, Store, StoredIdentity


def identities(store: Store) -> list[StoredIdentity]:
    """The push's identities with a booking traveller, by id."""
    found = []
    for identity_id in sorted({row.identity for row in store.identity_export() if row.identity is not None}):
        identity = store.identity(identity_id)
        assert identity is not None
        found.append(identity)
    return found


def travellers_of(identity: StoredIdentity) -> list[int]:
    return [m.occurrence.traveller_id for m in identity.members if m.occurrence.traveller_id is not None]


def confirm_a_hit_on(store: Store, identity: StoredIdentity) -> int:
    """A criterion hit on the identity's first traveller, confirmed by an analyst."""
    member = identity.members[0]
    assert member.booking_id is not None
    assert member.occurrence.traveller_id is not None
    booking = store.booking(member.booking_id)
    assert booking is not None
    store.record_hits(
        [
            Hit(
                kind=HitKind.CRITERION,
                flight_id=booking.flight_id,
                booking_id=booking.id,
                traveller_key=member.reference or "#0",
                traveller_id=member.occurrence.traveller_id,
                source_id="C-1",
                source_version="1",
                list_id=None,
                score=1.0,
                priority=2,
            )
        ]
    )
    [stored] = store.hits(booking_id=booking.id)
    store.decide(Decision(stored.id, DecisionOutcome.CONFIRMED, "the pattern sought", "analyst A"))
    return stored.id


def start(store: Store, identity_id: int, actor: str = "user:anna", days: int = 30) -> int:
    now = START  # the fixture clock's time
    follow = store.start_follow(
        identity_id,
        actor=actor,
        legal_basis="Art 6(2)(b) Directive 2016/681, case 2026/17",
        reason="travels for the network under investigation",
        expires_at=now + timedelta(days=days),
        review_at=now + timedelta(days=days - 7),
        grounds="test",
    )
    return follow.id


def test_only_a_confirmed_identity_has_grounds(store: Store) -> None:
    ingest_push(store, full_push(), "t48")
    first, second, third = identities(store)[:3]
    with pytest.raises(NotFound):
        store.follow_grounds(10_000_000)
    assert store.follow_grounds(first.id) is None
    hit_id = confirm_a_hit_on(store, first)
    assert store.follow_grounds(first.id) == f"hit {hit_id} confirmed by an analyst"
    judgement = store.link_identities(second.id, third.id, actor="user:anna", reason="the same passport")
    assert store.follow_grounds(second.id) == f"identity link judgement {judgement.id} by user:anna"


def test_a_follow_is_started_reviewed_and_ended_with_its_events(store: Store, clock: FixedClock) -> None:
    ingest_push(store, full_push(), "t48")
    first, second = identities(store)[:2]
    follow_id = start(store, first.id)
    other = start(store, second.id, actor="user:ben", days=10)
    follow = store.follow(follow_id)
    assert follow is not None
    assert follow.identity_id == first.id
    assert follow.followed_by == "user:anna"
    assert follow.state(START) is FollowState.ACTIVE
    assert not follow.due_for_review(START)
    assert follow.source_id == f"follow:{follow_id}"
    # soonest review first; one follower's
    assert [f.id for f in store.follows()] == [other, follow_id]
    assert [f.id for f in store.follows(followed_by="user:ben")] == [other]

    clock.advance(timedelta(days=31))
    expired = store.follow(follow_id)
    assert expired is not None
    assert expired.state(clock.now()) is FollowState.EXPIRED
    assert expired.due_for_review(clock.now())
    reviewed = store.review_follow(
        follow_id,
        actor="user:carl",
        reason="still travelling with the network",
        expires_at=clock.now() + timedelta(days=20),
        review_at=clock.now() + timedelta(days=13),
    )
    assert reviewed.state(clock.now()) is FollowState.ACTIVE
    ended = store.end_follow(follow_id, actor="user:carl", reason="case closed")
    assert ended.state(clock.now()) is FollowState.ENDED
    assert ended.end_reason == "case closed"
    with pytest.raises(InvalidTransition):
        store.end_follow(follow_id, actor="user:carl", reason="again")
    with pytest.raises(InvalidTransition):
        store.review_follow(
            follow_id, actor="user:carl", reason="x", expires_at=clock.now(), review_at=clock.now()
        )
    with pytest.raises(NotFound):
        store.end_follow(10_000_000, actor="user:carl", reason="none")
    events = store.follow_events(follow_id)
    assert [(e.kind, e.actor) for e in events] == [
        (FollowEventKind.STARTED, "user:anna"),
        (FollowEventKind.REVIEWED, "user:carl"),
        (FollowEventKind.ENDED, "user:carl"),
    ]
    assert events[1].expires_at == clock.now() + timedelta(days=20)
    assert [f.id for f in store.follows()] == [other]
    assert {f.id for f in store.follows(include_ended=True)} == {other, follow_id}
    audited = [(e.action, e.subject) for e in store.events(limit=100) if e.action.startswith("follow.")]
    assert audited == [
        ("follow.started", f"follow {follow_id}"),
        ("follow.started", f"follow {other}"),
        ("follow.reviewed", f"follow {follow_id}"),
        ("follow.ended", f"follow {follow_id}"),
    ]
    assert store.verify().ok


def test_the_occurrences_of_followed_identities_are_found_while_the_follow_runs(
    store: Store, clock: FixedClock
) -> None:
    ingest_push(store, full_push(), "t48")
    first, second, third = identities(store)[:3]
    everyone = [tid for identity in identities(store) for tid in travellers_of(identity)]
    follow_id = start(store, first.id, days=10)
    found = store.followed_occurrences(traveller_ids=everyone, now=clock.now())
    assert {f.occurrence.traveller_id for f in found} == set(travellers_of(first))
    assert {f.follow.id for f in found} == {follow_id}
    assert all(f.follow.identity_id == first.id for f in found)
    assert store.followed_occurrences(traveller_ids=travellers_of(second), now=clock.now()) == []
    assert store.followed_occurrences(now=clock.now()) == []

    # merged into another identity, the follow goes with it: the survivor's occurrences are followed
    store.link_identities(third.id, first.id, actor="user:anna", reason="one person")
    found = store.followed_occurrences(traveller_ids=everyone, now=clock.now())
    assert {f.occurrence.traveller_id for f in found} == set(travellers_of(first) + travellers_of(third))
    assert all(f.follow.identity_id == third.id for f in found)

    clock.advance(timedelta(days=10))  # expired: nothing
    assert store.followed_occurrences(traveller_ids=everyone, now=clock.now()) == []
    store.review_follow(
        follow_id,
        actor="user:anna",
        reason="review",
        expires_at=clock.now() + timedelta(days=5),
        review_at=clock.now() + timedelta(days=2),
    )
    assert store.followed_occurrences(traveller_ids=everyone, now=clock.now())
    store.end_follow(follow_id, actor="user:anna", reason="ended")
    assert store.followed_occurrences(traveller_ids=everyone, now=clock.now()) == []


def test_a_travellers_identity_bookings_are_read_at_once(store: Store) -> None:
    ingest_push(store, full_push(), "t48")
    first, second = identities(store)[:2]
    asked = travellers_of(first)[:1] + travellers_of(second)[:1]
    found = store.identity_bookings([*asked, 10000000])
    assert {x.traveller_id for x in found} == set(asked)
    for identity in (first, second):
        rows = [x for x in found if x.identity_id == identity.id]
        assert {x.booking_id for x in rows} == {m.booking_id for m in identity.members if m.booking_id}
        assert {x.occurrence for x in rows} == {Occurrence(traveller_id=t) for t in travellers_of(identity)}
    assert store.identity_bookings([]) == []
