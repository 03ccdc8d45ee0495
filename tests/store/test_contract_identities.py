"""The storage contract for traveller identities, on every backend: resolving pushes and lists (keys kept once
per booking's traveller, a repeated step changing nothing), merges, the API merges followed, the export,
the evidence index, and analysts' judgements (appended with their audit event, respected afterwards)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
import sqlalchemy as sa
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract import full_push, received
from test_contract_reconcile import later

from openpiu.analysis.identity import evidence_secret, list_evidence, push_evidence, resolve
from openpiu.model import PnrPush
from openpiu.model.identity import EvidenceKind
from openpiu.store import (
    ApiMatch,
    IdentityCounts,
    InvalidTransition,
    NotFound,
    Occurrence,
    Store,
)
from openpiu.store import schema as t
from openpiu.synth.corpus import demo_push, passenger_list_for

SECRET = evidence_secret(bytes(32))


def ingest_push(store: Store, push: PnrPush, tag: str) -> tuple[int, IdentityCounts]:
    """Store a push as the pipeline does, and resolve its travellers."""
    mid = received(store, push, tag)
    store.store_push(mid, push)
    return mid, store.resolve_push([(mid, push_evidence(push, SECRET))], resolve)


def identities_by_traveller(store: Store) -> dict[tuple[str | None, str | None, int], int | None]:
    """(locator, reference, message) -> identity, from the export."""
    return {
        (row.locator, row.reference, row.message_id): row.identity
        for row in store.identity_export()
        if row.index is None
    }


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        found: int = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return found


def assert_nothing_dangles(store: Store) -> None:
    """No reference the database leaves unchecked points at nothing after whatever rewrote the rows
    (merges, splits): the evidence index's everywhere (migration 0018), and on PostgreSQL those of
    versions, travellers, identity members and API persons (migration 0022)."""
    dangling = {name: rows for name, rows in store.dangling_references().items() if rows}
    assert dangling == {}


def test_the_store_counts_the_rows_pointing_at_nothing(store: Store, engine: sa.Engine) -> None:
    push = full_push()
    ingest_push(store, push, "t48")
    plist = passenger_list_for(push)
    list_mid = received(store, push, "paxlst")
    store.store_passenger_list(list_mid, plist)
    store.resolve_list(list_mid, list_evidence(plist, SECRET), resolve)
    found = store.dangling_references()
    assert set(found) == {f"{a}.{b} -> {c}" for a, b, c in t.REFERENCES_CHECKED_BY_THE_STORE}
    assert_nothing_dangles(store)
    # Rows pointing at nothing, where nothing in the database stops them.
    k, im = t.identity_keys, t.identity_members
    with engine.begin() as connection:
        member = dict(connection.execute(sa.select(im).limit(1)).mappings().one())
        connection.execute(
            sa.insert(k).values(kind="phone", digest="0" * 32, identity_id=10**12, flight_date=START.date())
        )
        if engine.dialect.name == "postgresql":  # SQLite checks these itself
            del member["id"]
            member.update(traveller_id=10**12, api_person_id=None, booking_id=10**12)
            connection.execute(sa.insert(im).values(member))
    found = store.dangling_references()
    expected = {"identity_keys.identity_id -> identities": 1}
    if engine.dialect.name == "postgresql":
        expected["identity_members.traveller_id -> travellers"] = 1
        expected["identity_members.booking_id -> bookings"] = 1
    assert {name: rows for name, rows in found.items() if rows} == expected


def test_a_push_is_resolved_once_and_its_versions_join_their_travellers(
    store: Store, engine: sa.Engine
) -> None:
    push = full_push()
    travellers = sum(1 for b in push.bookings for x in b.travellers if not x.placeholder)
    first, counts = ingest_push(store, push, "t48")
    assert counts.occurrences == travellers
    assert counts.identities == store.identity_count() > 0
    keys = count(engine, t.identity_keys)
    # The same step again (after a crash) changes nothing.
    assert store.resolve_push([(first, push_evidence(push, SECRET))], resolve) == IdentityCounts()
    assert count(engine, t.identity_keys) == keys

    # The next push: each traveller joins its identity; the keys are known already.
    again = later(push, 24, "2")
    second, counts = ingest_push(store, again, "t24")
    assert counts.occurrences == travellers
    assert counts.identities == 0
    assert count(engine, t.identity_keys) == keys
    found = identities_by_traveller(store)
    for booking in push.bookings:
        for traveller in booking.travellers:
            if not traveller.placeholder:
                assert (
                    found[(booking.locator, traveller.ref, first)]
                    == found[(booking.locator, traveller.ref, second)]
                )
    assert count(engine, t.identity_members) == 2 * travellers


def test_the_index_holds_digests_of_every_kind_and_serves_networks(store: Store) -> None:
    push = full_push()
    ingest_push(store, push, "t48")
    booking = store.current_bookings(
        store.find_flights(flight_date=push.flight.departure.local.date())[0].id
    )[0]  # type: ignore[union-attr]
    rows = store.evidence(booking_ids=[booking.id])
    kinds = {row.kind for row in rows}
    assert {EvidenceKind.BOOKING, EvidenceKind.DOCUMENT} <= kinds
    own = [row for row in rows if row.identity_id is None]  # the booking's own keys: contacts, agency
    assert own
    assert all(row.chain is None for row in own)
    assert all(len(row.digest) == 32 for row in rows)
    # by digest: every booking holding it
    some = rows[0]
    assert any(row.booking_id == booking.id for row in store.evidence(digests=[some.digest]))
    identity = store.identity_of(Occurrence(traveller_id=store.current_travellers(booking.flight_id)[0].id))
    assert identity is not None
    assert all(row.identity_id == identity for row in store.evidence(identity_ids=[identity]))
    assert store.evidence() == []


def test_key_holders_reads_few_holders_and_counts_crowds(store: Store) -> None:
    push = full_push()
    ingest_push(store, push, "t48")
    flight = store.find_flights(flight_date=push.flight.departure.local.date())[0]
    bookings = store.current_bookings(flight.id)  # type: ignore[union-attr]
    own = [r for b in bookings for r in store.evidence(booking_ids=[b.id]) if r.identity_id is None]
    held: dict[str, set[int]] = {}
    for row in own:
        held.setdefault(row.digest, set()).add(row.booking_id)  # type: ignore[arg-type]
    digests = sorted(held)
    wide = store.key_holders(digests, most=10**6)
    assert wide.crowded == {}
    # a traveller's own keys are not the booking's: only the bookings' own are answered
    assert wide.held == {d: frozenset(bs) for d, bs in held.items()}
    shared = max(digests, key=lambda d: len(held[d]))
    most = len(held[shared]) - 1
    narrow = store.key_holders(digests, most=most)
    assert narrow.crowded == {d: len(bs) for d, bs in held.items() if len(bs) > most}
    assert shared in narrow.crowded
    assert narrow.held == {d: frozenset(bs) for d, bs in held.items() if len(bs) <= most}
    assert store.key_holders([], most=1) == type(wide)({}, {})


def test_who_travels_on_which_booking_and_the_bookings_own_keys(store: Store) -> None:
    push = full_push()
    ingest_push(store, push, "t48")
    ingest_push(store, later(push, 24, "2"), "t24")
    flight = store.find_flights(flight_date=push.flight.departure.local.date())[0]
    bookings = store.current_bookings(flight.id)  # type: ignore[union-attr]
    first = bookings[0].id
    pairs = store.travelling(booking_ids=[first])
    rows = store.evidence(booking_ids=[first])
    assert pairs == sorted({(r.identity_id, first) for r in rows if r.identity_id is not None})
    identity = pairs[0][0]
    assert (identity, first) in store.travelling(identity_ids=[identity])
    assert store.travelling() == []
    own = {(first, r.kind, r.digest) for r in rows if r.identity_id is None}
    assert set(store.booking_keys([first])) == own
    assert len(store.booking_keys([first])) == len(own)  # once each, whatever the versions


def test_the_same_person_in_another_booking_and_in_api_data_is_one_identity(store: Store) -> None:
    push = full_push()
    moved = push.bookings[0]
    elsewhere = dataclasses.replace(
        demo_push(seed=99, bookings=1), bookings=(dataclasses.replace(moved, locator="OTHER1"),)
    )
    ingest_push(store, push, "t48")
    other_mid, counts = ingest_push(store, elsewhere, "elsewhere")
    assert counts.identities == 0  # its travellers are known by their documents, names and dates of birth
    found = identities_by_traveller(store)
    for traveller in moved.travellers:
        assert found[("OTHER1", traveller.ref, other_mid)] is not None

    plist = passenger_list_for(push)
    list_mid = received(store, push, "paxlst")
    store.store_passenger_list(list_mid, plist)
    listed = store.resolve_list(list_mid, list_evidence(plist, SECRET), resolve)
    assert listed.occurrences == len(plist.persons)
    assert listed.identities == 0  # every person is a traveller resolved before
    assert store.resolve_list(list_mid, list_evidence(plist, SECRET), resolve) == IdentityCounts()
    exported = [row for row in store.identity_export() if row.index is not None]
    assert len(exported) == len(plist.persons)
    assert all(row.identity is not None for row in exported)


def test_api_merges_are_followed_when_the_list_came_first(store: Store, engine: sa.Engine) -> None:
    """A list before the flight's first push: its persons are resolved alone (documents stripped here, so
    nothing links them); the reconciliation's merge later joins each with its traveller."""
    push = full_push()
    plist = passenger_list_for(push)
    bare = dataclasses.replace(
        plist, persons=tuple(dataclasses.replace(p, documents=(), date_of_birth=None) for p in plist.persons)
    )
    list_mid = received(store, push, "paxlst")
    stored = store.store_passenger_list(list_mid, bare)
    alone = store.resolve_list(list_mid, list_evidence(bare, SECRET), resolve)
    assert alone.identities == len(bare.persons)
    mid = received(store, push, "pnr")
    pushed = store.store_push(mid, push)
    persons = store.list_persons(stored.id)
    travellers = store.current_travellers(pushed.flight_id)
    match = ApiMatch(
        persons[0].id, travellers[0].id, travellers[0].booking_id, "name", 0.8, ("surname equal",)
    )
    store.record_api_matches([match])
    counts = store.resolve_push([(mid, push_evidence(push, SECRET))], resolve)
    assert counts.merged == 1
    person = store.identity_of(Occurrence(api_person_id=persons[0].id))
    assert person == store.identity_of(Occurrence(traveller_id=travellers[0].id))
    assert person is not None
    shown = store.identity(person)
    assert shown is not None
    [api_member] = [m for m in shown.members if m.occurrence.api_person_id is not None]
    assert api_member.reasons[0] == "api:name"
    assert_nothing_dangles(store)


def test_an_identity_is_read_whole(store: Store) -> None:
    push = full_push()
    ingest_push(store, push, "t48")
    ingest_push(store, later(push, 24, "2"), "t24")
    traveller = store.current_travellers(
        store.find_flights(flight_date=push.flight.departure.local.date())[0].id
    )[0]  # type: ignore[union-attr]
    identity = store.identity_of(Occurrence(traveller_id=traveller.id))
    assert identity is not None
    found = store.identity(identity)
    assert found is not None
    assert found.occurrences == len(found.members) == 2
    first, second = found.members
    assert first.chain == second.chain
    assert first.name == f"{traveller.traveller.surname}/{traveller.traveller.given_names or ''}"
    assert first.reasons == ("first occurrence",)
    assert first.score is None
    assert second.reasons[0] == "booking"
    assert second.score is not None
    assert {e.kind for e in found.evidence} >= {EvidenceKind.BOOKING}
    assert store.identity(10**9) is None
    assert store.identity_exists(identity)
    assert not store.identity_exists(10**9)


def test_the_export_names_every_occurrence(store: Store) -> None:
    push = full_push()
    mid = store.receive(b"a t48 push", sender="1A", channel="file", source="f1.edi").message_id
    store.store_push(mid, push)
    rows = list(store.identity_export())
    assert all(row.identity is None for row in rows)  # stored, not resolved yet
    store.resolve_push([(mid, push_evidence(push, SECRET))], resolve)
    rows = list(store.identity_export())
    assert len(rows) == sum(len(b.travellers) for b in push.bookings)
    assert {row.source for row in rows} == {"f1.edi"}
    placeholders = sum(1 for b in push.bookings for x in b.travellers if x.placeholder)
    assert sum(1 for row in rows if row.identity is None) == placeholders


def test_a_message_keeps_the_first_name_it_arrived_under(store: Store) -> None:
    mid = store.receive(b"bytes", sender="1A", channel="file", source="b.edi").message_id
    store.receive(b"bytes", sender="1A", channel="file", source="c.edi")
    store.receive(b"bytes", sender="1A", channel="file", source="a.edi")
    store.receive(b"bytes", sender="1A", channel="file")
    message = store.message(mid)
    assert message is not None
    assert message.source == "a.edi"


# --- judgements ----------------------------------------------------------------------------------------


def two_identities(store: Store) -> tuple[int, int, list[int]]:
    push = full_push()
    ingest_push(store, push, "t48")
    travellers = store.current_travellers(
        store.find_flights(flight_date=push.flight.departure.local.date())[0].id
    )  # type: ignore[union-attr]
    found = [store.identity_of(Occurrence(traveller_id=x.id)) for x in travellers]
    first, second = sorted({i for i in found if i is not None})[:2]
    return first, second, [x.id for x in travellers]


def test_an_analyst_links_two_identities(store: Store, engine: sa.Engine) -> None:
    first, second, _ = two_identities(store)
    size = store.identity(first).occurrences + store.identity(second).occurrences  # type: ignore[union-attr]
    judgement = store.link_identities(first, second, actor="analyst1", reason="the same passport photo")
    assert (judgement.kind, judgement.identity_id, judgement.other_id) == ("link", first, second)
    assert store.identity(second) is None
    merged = store.identity(first)
    assert merged is not None
    assert merged.occurrences == size
    assert [j.id for j in merged.judgements] == [judgement.id]
    [event] = [e for e in store.events(limit=1000) if e.action == "identity.link"]
    assert (event.actor, event.subject, event.reason) == (
        "analyst1",
        f"identity {first}",
        "the same passport photo",
    )
    assert event.details["merged"] == second
    with pytest.raises(NotFound):
        store.link_identities(first, second, actor="analyst1", reason="again")
    with pytest.raises(InvalidTransition):
        store.link_identities(first, first, actor="analyst1", reason="itself")
    assert_nothing_dangles(store)


def test_an_analysts_split_moves_the_occurrences_and_holds_afterwards(
    store: Store, engine: sa.Engine
) -> None:
    push = full_push()
    # A traveller in two bookings: one identity; the analyst says the second booking is someone else.
    moved = push.bookings[0]
    elsewhere = dataclasses.replace(
        demo_push(seed=99, bookings=1), bookings=(dataclasses.replace(moved, locator="OTHER1"),)
    )
    mid, _ = ingest_push(store, push, "t48")
    other_mid, _ = ingest_push(store, elsewhere, "elsewhere")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(t.travellers.c.id, t.booking_versions.c.message_id)
            .select_from(
                t.travellers.join(t.booking_versions, t.booking_versions.c.id == t.travellers.c.version_id)
            )
            .where(
                t.travellers.c.ref == moved.travellers[0].ref,
                t.booking_versions.c.locator.in_(["OTHER1", moved.locator]),
            )
        ).all()
    there = next(row.id for row in rows if row.message_id == other_mid)
    here = next(row.id for row in rows if row.message_id == mid)
    identity = store.identity_of(Occurrence(traveller_id=here))
    assert identity is not None
    assert store.identity_of(Occurrence(traveller_id=there)) == identity

    with pytest.raises(NotFound):
        store.split_identity(identity, [Occurrence(traveller_id=10**9)], actor="analyst1", reason="x")
    with pytest.raises(InvalidTransition):
        store.split_identity(
            identity, [Occurrence(traveller_id=there), Occurrence(traveller_id=here)], actor="a", reason="x"
        )
    judgement = store.split_identity(
        identity, [Occurrence(traveller_id=there)], actor="analyst1", reason="a namesake"
    )
    assert judgement.kind == "split"
    assert judgement.occurrences == (f"traveller:{there}",)
    apart = judgement.other_id
    assert store.identity_of(Occurrence(traveller_id=there)) == apart
    assert store.identity_of(Occurrence(traveller_id=here)) == identity
    assert any(e.action == "identity.split" for e in store.events(limit=1000))
    assert store.evidence(identity_ids=[apart])  # the moved chain took its keys with it

    # The next push of the other booking joins the split-off identity; resolution does not merge back.
    third, counts = ingest_push(store, later(elsewhere, 24, "3"), "elsewhere-again")
    assert counts.identities == 0
    found = identities_by_traveller(store)
    assert found[("OTHER1", moved.travellers[0].ref, third)] == apart
    # A new booking showing the traveller's keys links to both sides: one link is refused.
    yet = dataclasses.replace(elsewhere, bookings=(dataclasses.replace(moved, locator="THIRD1"),))
    fourth, counts = ingest_push(store, later(yet, 30, "4"), "yet-another")
    assert counts.refused >= 1
    assert counts.merged == 0
    assert identities_by_traveller(store)[("THIRD1", moved.travellers[0].ref, fourth)] in {identity, apart}
    assert store.identity_of(Occurrence(traveller_id=there)) == apart
    assert store.identity_of(Occurrence(traveller_id=here)) == identity
    # An analyst's later link does.
    store.link_identities(identity, apart, actor="analyst2", reason="the same person after all")
    assert store.identity_of(Occurrence(traveller_id=there)) == identity
    assert_nothing_dangles(store)


def test_anchors_do_not_depend_on_the_order_of_arrival(url: str) -> None:
    """The same pushes in two orders, in two databases: the same partition, named by the same anchors."""
    from openpiu.clock import FixedClock
    from openpiu.store import open_store, upgrade

    push = full_push()
    pushes = [("t48", push), ("t24", later(push, 24, "2")), ("closure", later(push, 30, "3"))]
    partitions = []
    for order in (pushes, list(reversed(pushes))):
        upgrade(url)
        opened = open_store(url, clock=FixedClock(START))
        try:
            for tag, each in order:
                ingest_push(opened, each, tag)
            with opened.engine.connect() as connection:  # type: ignore[attr-defined]
                rows = connection.execute(
                    sa.select(
                        t.messages.c.content_hash,
                        t.booking_versions.c.position,
                        t.travellers.c.position,
                        t.identities.c.anchor,
                    ).select_from(
                        t.identity_members.join(
                            t.travellers, t.travellers.c.id == t.identity_members.c.traveller_id
                        )
                        .join(t.booking_versions, t.booking_versions.c.id == t.travellers.c.version_id)
                        .join(t.messages, t.messages.c.id == t.booking_versions.c.message_id)
                        .join(t.identities, t.identities.c.id == t.identity_members.c.identity_id)
                    )
                ).all()
                for table in reversed(t.metadata.sorted_tables):
                    connection.execute(table.delete())
                connection.commit()
        finally:
            opened.close()
        partitions.append(Counter(tuple(row) for row in rows))
    assert partitions[0] == partitions[1]
