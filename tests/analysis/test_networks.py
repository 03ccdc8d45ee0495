"""Networks of identities and bookings: k hops from a traveller with the reason for each link, hubs weighed
down and not followed, bounded results, and the digests a booking's contacts, cards and agency become."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.analysis.network import (
    FlightTaken,
    MemoryGraph,
    NetworkSettings,
    booking_attributes,
    explore,
)
from openpiu.model import Address, Booking, BookingOffice, Contact, ContactKind, Payment, Ticket, Traveller
from openpiu.model.network import Attribute, LinkKind, Node, NodeKind, Shared

KEY = b"test key"


def who(identity: str) -> Node:
    return Node(NodeKind.IDENTITY, identity)


def bk(booking: str) -> Node:
    return Node(NodeKind.BOOKING, booking)


def phone(booking: str, value: str) -> Attribute:
    return Attribute(bk(booking), LinkKind.PHONE, f"phone:{value}", f"phone ending {value[-2:]}")


def agency(booking: str, value: str) -> Attribute:
    return Attribute(bk(booking), LinkKind.AGENCY, f"agency:{value}", f"agency {value}")


# Anna and Bert share a phone on separate bookings; Bert travels with Cleo; Dora booked through the same
# large agency as Anna, like 30 others who have nothing to do with her.
MEMBERS = [("anna", "B1"), ("bert", "B2"), ("cleo", "B2"), ("dora", "B3"), ("emil", "B4")]
ATTRIBUTES = [
    phone("B1", "4915100000041"),
    phone("B2", "4915100000041"),
    agency("B1", "BIGAGENCY"),
    agency("B3", "BIGAGENCY"),
    *(agency(f"X{i}", "BIGAGENCY") for i in range(30)),
    phone("B3", "4915100000099"),
    phone("B4", "4915100000099"),
]
GRAPH = MemoryGraph(MEMBERS + [(f"x{i}", f"X{i}") for i in range(30)], ATTRIBUTES)


def test_three_hops_from_a_traveller_with_the_reason_for_each_link() -> None:
    network = explore(who("anna"), GRAPH)
    assert network.reached(NodeKind.IDENTITY) == (who("anna"), who("bert"), who("cleo"))
    hops = {r.node: r.hops for r in network.nodes}
    assert hops == {who("anna"): 0, bk("B1"): 1, bk("B2"): 2, who("bert"): 3, who("cleo"): 3}
    path = network.path_to(who("cleo"))
    assert [(link.kind, link.label) for link in path] == [
        (LinkKind.TRAVELS_ON, "travels on booking B1"),
        (LinkKind.PHONE, "phone ending 41"),
        (LinkKind.TRAVELS_ON, "travels on booking B2"),
    ]


def test_a_hub_is_reported_and_not_followed_unless_asked() -> None:
    network = explore(who("anna"), GRAPH)
    (hub,) = network.hubs
    assert (hub.kind, hub.label, hub.spread, hub.seen_from) == (
        LinkKind.AGENCY,
        "agency BIGAGENCY",
        32,
        (bk("B1"),),
    )
    assert who("dora") not in network.reached()
    assert not network.truncated
    followed = explore(who("anna"), GRAPH, NetworkSettings(follow_hubs=True))
    assert who("dora") in followed.reached()
    hub_links = [link for link in followed.links if link.kind is LinkKind.AGENCY]
    phone_links = [link for link in followed.links if link.kind is LinkKind.PHONE]
    assert max(link.weight for link in hub_links) < min(link.weight for link in phone_links) / 5


def test_fewer_hops_reach_less() -> None:
    assert explore(who("anna"), GRAPH, NetworkSettings(hops=0)).reached() == (who("anna"),)
    two = explore(who("anna"), GRAPH, NetworkSettings(hops=2))
    assert two.reached() == (who("anna"), bk("B1"), bk("B2"))
    assert sorted(link.kind for link in two.links) == [LinkKind.PHONE, LinkKind.TRAVELS_ON]


def test_the_result_is_bounded_and_keeps_the_strongest_links() -> None:
    network = explore(who("anna"), GRAPH, NetworkSettings(follow_hubs=True, max_nodes=4))
    assert network.truncated
    assert len(network.nodes) == 4
    assert bk("B2") in network.reached()  # the shared phone outweighs the agency's 31 other bookings


def test_the_source_is_asked_once_per_hop_about_the_frontier_only() -> None:
    asked: list[frozenset[Node]] = []

    def source(nodes: frozenset[Node], limit: int) -> Iterable[Shared]:
        asked.append(nodes)
        return GRAPH(nodes, limit)

    explore(who("anna"), source)
    assert asked == [frozenset({who("anna")}), frozenset({bk("B1")}), frozenset({bk("B2")})]


def test_co_travel_on_the_same_flights_on_separate_bookings() -> None:
    flights = [
        FlightTaken("anna", "LH", "400", _day(1), "B1"),
        FlightTaken("anna", "LH", "401", _day(8), "B1"),
        FlightTaken("fred", "LH", "400", _day(1), "B9"),
        FlightTaken("fred", "LH", "0401", _day(8), "B9"),
        FlightTaken("gina", "LH", "400", _day(1), "B9"),  # only one flight in common
        FlightTaken("bert", "LH", "400", _day(1), "B1"),  # same booking: already linked through it
        FlightTaken("bert", "LH", "401", _day(8), "B1"),
    ]
    graph = MemoryGraph([("anna", "B1"), ("bert", "B1"), ("fred", "B9"), ("gina", "B9")], (), flights)
    network = explore(who("anna"), graph, NetworkSettings(hops=1))
    assert set(network.reached(NodeKind.IDENTITY)) == {who("anna"), who("fred")}
    (link,) = [link for link in network.links if link.kind is LinkKind.SAME_FLIGHTS]
    assert link.label == "on the same 2 flights on separate bookings: LH400/2026-12-01, LH401/2026-12-08"


def test_a_popular_pair_of_flights_is_a_hub() -> None:
    flights = [
        FlightTaken(person, "LH", number, _day(day), f"B-{person}")
        for person in [f"p{i}" for i in range(20)]
        for number, day in (("400", 1), ("401", 8))
    ]
    graph = MemoryGraph([(f"p{i}", f"B-p{i}") for i in range(20)], (), flights)
    network = explore(who("p0"), graph, NetworkSettings(hops=1))
    assert [h.kind for h in network.hubs] == [LinkKind.SAME_FLIGHTS]
    assert network.reached() == (who("p0"), bk("B-p0"))


def _day(n: int):  # type: ignore[no-untyped-def]
    from datetime import date

    return date(2026, 12, n)


@st.composite
def graphs(draw: st.DrawFn) -> MemoryGraph:
    people = [f"p{i}" for i in range(draw(st.integers(1, 12)))]
    bookings = [f"B{i}" for i in range(draw(st.integers(1, 10)))]
    members = draw(st.lists(st.tuples(st.sampled_from(people), st.sampled_from(bookings)), max_size=20))
    values = draw(
        st.lists(
            st.tuples(st.sampled_from(bookings), st.sampled_from(list(LinkKind)[1:6]), st.integers(0, 4)),
            max_size=25,
        )
    )
    attributes = [Attribute(bk(b), kind, f"{kind}:{v}", f"{kind} {v}") for b, kind, v in values]
    return MemoryGraph([("p0", "B0"), *members], attributes)


@settings(max_examples=100, deadline=None)
@given(graphs(), st.integers(0, 4), st.integers(1, 5), st.integers(2, 40))
def test_every_node_is_reached_through_a_link_from_the_hop_before(
    graph: MemoryGraph, hops: int, hub_spread: int, max_nodes: int
) -> None:
    s = NetworkSettings(hops=hops, hub_spread=hub_spread, max_nodes=max_nodes)
    network = explore(who("p0"), graph, s)
    assert len(network.nodes) <= max_nodes
    by_node = {r.node: r for r in network.nodes}
    assert by_node[who("p0")].hops == 0
    hub_keys = {(h.kind, h.key) for h in network.hubs}
    for link in network.links:
        assert link.source in by_node
        assert link.target in by_node
        assert (link.kind, link.key) not in hub_keys
        assert 0 < link.weight <= 1
    for reached in network.nodes:
        assert reached.hops <= hops
        if reached.node != network.start:
            path = network.path_to(reached.node)
            assert len(path) == reached.hops
    if not network.truncated:
        more = explore(
            who("p0"), graph, NetworkSettings(hops=hops + 1, hub_spread=hub_spread, max_nodes=10_000)
        )
        assert set(network.reached()) <= set(more.reached())


# --- attributes of a booking -------------------------------------------------------------------------------


def test_a_bookings_contacts_cards_and_agency_as_digests() -> None:
    booking = Booking(
        locator="ABC123",
        contacts=(
            Contact(ContactKind.MOBILE, "+49 151 2345 6741"),
            Contact(ContactKind.EMAIL, "Jane.Roe@Example.org"),
            Contact(ContactKind.PHONE, "12"),  # too short to be a phone
        ),
        addresses=(Address(street="12 Hauptstr.", postcode="10115", city="Berlin", country="DE"),),
        payments=(Payment("CC", card_last4="0654", card_expiry="1229"),),
        office=BookingOffice(iata_number="12345675", agent_type="T"),
        travellers=(
            Traveller(
                "ROE",
                ref="1",
                contacts=(Contact(ContactKind.PHONE, "0049 151 23456741"),),  # the same phone
                tickets=(
                    Ticket(
                        "2201234567890", payments=(Payment("CC", card_hash="ab" * 32, card_last4="1111"),)
                    ),
                ),
            ),
        ),
    )
    found = booking_attributes(booking, booking_id="17", key=KEY)
    assert {a.node for a in found} == {bk("17")}
    labels = sorted((a.kind, a.label) for a in found)
    assert labels == [
        (LinkKind.ADDRESS, "address in 10115 BERLIN, DE"),
        (LinkKind.AGENCY, "agency 12345675"),
        (LinkKind.CARD, "card ending 0654 (last four digits and expiry only)"),
        (LinkKind.CARD, "card ending 1111"),
        (LinkKind.EMAIL, "e-mail j…@example.org"),
        (LinkKind.PHONE, "phone ending 41"),
    ]
    for attribute in found:
        assert "2345" not in attribute.key
        assert len(attribute.key) == 32
    # The same values written otherwise give the same digests; another key gives others.
    again = Booking(
        locator="XYZ789",
        contacts=(
            Contact(ContactKind.PHONE, "015123456741"),
            Contact(ContactKind.EMAIL, "jane.roe@example.org "),
        ),
        addresses=(Address(street="12 HAUPTSTR", postcode="10115", city="BERLIN (MITTE)", country="DE"),),
    )
    keys = {a.key for a in found}
    assert {a.key for a in booking_attributes(again, booking_id="18", key=KEY)} <= keys
    assert not {a.key for a in booking_attributes(again, booking_id="18", key=b"another")} & keys


def test_an_airline_office_is_no_agency() -> None:
    booking = Booking(locator="ABC123", office=BookingOffice(system="LH", location="HDQ", agent_type="A"))
    assert booking_attributes(booking, booking_id="1", key=KEY) == ()


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        NetworkSettings(max_nodes=0)
