"""Networks through the store, on every backend: travellers on the same flights on separate bookings
(`flights_together`, one query), payment cards sent masked (last four digits and expiry) linking bookings,
and a card on many unrelated bookings (a travel agency's) reported as a hub and not followed."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)
from test_contract_identities import ingest_push

from openpiu.analysis.network import NetworkSettings, explore
from openpiu.model import Payment, PnrPush
from openpiu.model.network import LinkKind, Node, NodeKind
from openpiu.services.network import NetworkDesk, StoreGraph
from openpiu.store import Occurrence, Store
from openpiu.synth.corpus import demo_push


def _on_flight(push: PnrPush, number: str) -> PnrPush:
    assert push.flight is not None
    return dataclasses.replace(push, flight=dataclasses.replace(push.flight, number=number))


def _identity(store: Store, locator: str, flight_number: str) -> int:
    """The identity of the first traveller of a booking on a flight."""
    for booking in store.bookings_by_locator(locator):
        flight = store.flight(booking.flight_id)
        assert flight is not None
        if flight.flight.number == flight_number:
            traveller = next(
                t for t in store.current_travellers(booking.flight_id) if t.booking_id == booking.id
            )
            found = store.identity_of(Occurrence(traveller_id=traveller.id))
            assert found is not None
            return found
    raise AssertionError(f"no booking {locator} on flight {flight_number}")


def test_travellers_on_the_same_flights_on_separate_bookings_are_linked(store: Store) -> None:
    push = demo_push(seed=3, bookings=3)
    first, second, third = (b.locator or "" for b in push.bookings)
    ingest_push(store, _on_flight(push, "1001"), "out")
    # The third booking is only on the first flight: one flight together is chance, not co-travel.
    for number in ("1002", "1003"):
        ingest_push(store, dataclasses.replace(_on_flight(push, number), bookings=push.bookings[:2]), number)
    one, two, three = (_identity(store, loc, "1001") for loc in (first, second, third))
    rows = store.flights_together([one], at_least=2)
    assert {row.other_id for row in rows} >= {two}
    assert three not in {row.other_id for row in rows}
    assert all(row.identity_id == one and row.booking_id != row.other_booking_id for row in rows)
    assert {row.number for row in rows if row.other_id == two} == {"1001", "1002", "1003"}
    assert {row.other_id for row in store.flights_together([one], at_least=1)} >= {two, three}
    assert store.flights_together([], at_least=2) == []
    # Who travels on a booking, once whatever its versions: what a shared value's holders are counted by.
    on_first = {row.booking_id for row in rows}
    pairs = store.travelling(booking_ids=sorted(on_first))
    assert {identity for identity, _ in pairs} >= {one}
    assert {booking for _, booking in pairs} == on_first
    assert len(pairs) == len(set(pairs))
    assert store.travelling(booking_ids=[]) == []

    graph = StoreGraph(store)
    network = explore(Node(NodeKind.IDENTITY, str(one)), graph, NetworkSettings(hops=1))
    same = [link for link in network.links if link.kind is LinkKind.SAME_FLIGHTS]
    assert Node(NodeKind.IDENTITY, str(two)) in {node for link in same for node in (link.source, link.target)}
    assert all("on the same 3 flights on separate bookings" in link.label for link in same)
    assert graph.queries <= 4


def _paid_with(push: PnrPush, card: Payment, count: int) -> PnrPush:
    paid = [dataclasses.replace(b, payments=(card,)) for b in push.bookings[:count]]
    return dataclasses.replace(push, bookings=(*paid, *push.bookings[count:]))


def test_a_masked_card_links_bookings_and_an_agency_card_is_a_hub(store: Store) -> None:
    card = Payment(form="CC", vendor="VI", card_last4="4242", card_expiry="1229")
    agency = Payment(form="CC", vendor="AX", card_last4="1005", card_expiry="0630")
    push = demo_push(seed=11, bookings=16)
    # Bookings 0-2 share a card (masked, as most pushes send it); 3-15 a travel agency's card.
    paid = _paid_with(push, card, 3)
    paid = dataclasses.replace(
        paid,
        bookings=(
            *paid.bookings[:3],
            *(dataclasses.replace(b, payments=(agency,)) for b in paid.bookings[3:]),
        ),
    )
    ingest_push(store, paid, "cards")
    locators = [b.locator or "" for b in paid.bookings]
    number = paid.flight.number if paid.flight else ""
    desk = NetworkDesk(store)
    start = _identity(store, locators[0], number)
    found = desk.network("analyst", start, hops=3)
    network = found.network
    cards = [link for link in network.links if link.kind is LinkKind.CARD]
    linked = {found.locators[n.id] for link in cards for n in (link.source, link.target)}
    assert set(locators[:3]) <= linked
    assert all(link.label == "the same payment card" for link in cards)
    # The agency's card: 13 unrelated bookings, a hub seen from the bookings that hold it, not followed.
    agency_start = _identity(store, locators[5], number)
    spread = desk.network("analyst", agency_start, hops=3).network
    hubs = [hub for hub in spread.hubs if hub.kind is LinkKind.CARD]
    assert hubs
    assert hubs[0].spread == 13
    assert not [link for link in spread.links if (link.kind, link.key) == (LinkKind.CARD, hubs[0].key)]
    # A booking node is shown as the analyst knows it: locator, flight and date, never the stored id.
    booking = next(iter(network.reached(NodeKind.BOOKING)))
    assert found.label(booking).startswith(f"booking {found.locators[booking.id]}, ")
    assert str(paid.flight.departure.local.date()) in found.label(booking)  # type: ignore[union-attr]


def test_prewarm_reads_the_indexes_networks_walk(store: Store, url: str) -> None:
    """SQLite reads each index (and the bookings table) once through; PostgreSQL leaves its cache to
    itself unless the pg_prewarm extension is installed. Either way the data is unchanged."""
    push = demo_push(seed=3, bookings=4)
    ingest_push(store, push, "t48")
    before = [row.identity for row in store.identity_export()]
    done = store.prewarm()
    names = [name for name, _ in done]
    if url.startswith("sqlite"):
        assert names == [
            "ix_identity_keys_digest_identity_id_booking_id",
            "ix_identity_keys_booking_id",
            "ix_identity_members_identity_id_booking_id",
            "ix_identity_members_booking_id_identity_id",
            "bookings",
        ]
    else:
        admin = sa.create_engine(url)
        with admin.begin() as connection:
            installed = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'"
            ).scalar_one()
            if not installed:
                assert names == []  # nothing to do without the extension
                # in the test's own schema, dropped with it
                schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
                connection.exec_driver_sql(f'CREATE EXTENSION pg_prewarm SCHEMA "{schema}"')
        admin.dispose()
        done = store.prewarm()
        assert [name for name, _ in done] == [
            "ix_identity_keys_digest_identity_id_booking_id",
            "ix_identity_keys_booking_id",
            "ix_identity_members_identity_id_booking_id",
            "ix_identity_members_booking_id_identity_id",
            "bookings",
        ]
    assert all(seconds >= 0 for _, seconds in done)
    assert [row.identity for row in store.identity_export()] == before
