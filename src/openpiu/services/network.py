"""An identity's network from the store (issue 7): `openpiu.analysis.network.explore` fed hop by hop by the
evidence index (`Identities.evidence`), never the whole graph.

Nodes are identities (their id) and stored bookings (their id; shown by locator, flight and date). Per
hop the source asks the store, each set-based and as narrow pairs, not index rows: who travels on the
frontier's bookings and on which bookings its identities travel (`travelling`), the frontier bookings' own
keys (`booking_keys`: phones, e-mails, addresses, cards, agencies), the other bookings holding those keys
(`key_holders`, counted first: a value on more than `CROWDED` times the hub limit of bookings is a hub
without reading them), and those bookings' travellers (to count unrelated parties: bookings with a
traveller in common count once, so a person's own phone on twenty bookings is no hub).

The index holds keyed digests, not values: a link says what kind of value is shared ("the same phone"), not
the value. A card is in the index by its keyed hash, or (most pushes mask the number) by its last four
digits and expiry. Co-travel on one booking is the booking node itself; co-travel on the same flights on
separate bookings is one more query over the stored flights (`Identities.flights_together`): the
identities on at least `min_shared_flights` of the frontier identities' flights, grouped by the flights
they share (a value like any other: shared by many unrelated bookings, it is a hub). It is asked on the
first hop only (`co_travel_hops`): from the traveller the network starts from, not from every identity
the network reaches, whose fellow passengers would cost a page seconds at a hub airport.

A network names bookings and travellers: every read is recorded in the audit log first.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openpiu.analysis.network import NetworkSettings, explore
from openpiu.clock import Clock
from openpiu.model.identity import EvidenceKind
from openpiu.model.journeys import designator
from openpiu.model.network import LinkKind, Network, Node, NodeKind, Shared
from openpiu.services.identity import NoSuchIdentity
from openpiu.store import Store, open_store

__all__ = [
    "DEFAULT_READ_REASON",
    "PAGE_NODES",
    "IdentityNetwork",
    "NetworkDesk",
    "StoreGraph",
    "identity_network",
]

DEFAULT_READ_REASON = "review of a traveller's network"

#: A value held by more than this many times the hub limit of bookings is taken for a hub without reading
#: who holds it (its spread is then its number of bookings): a travel agency or a call centre holds
#: thousands, and a page cannot read them all. One person's own phone on 200 bookings would be taken for
#: one too; their bookings are still reached through the person.
CROWDED = 20

#: The most nodes of a network on the traveller's page: what an analyst reads at a glance, the strongest
#: links first (the case file and the command line take the whole network, up to its settings' bound).
#: The last hop's queries grow with the nodes reached before it, so this bounds the page's cost too.
PAGE_NODES = 100

#: A traveller and the booking they travel on (the booking node says which: locator, flight and date).
_TRAVELS_ON = "travels on the booking"

#: The booking keys of the index a network follows, and what a link through each says.
_KINDS: dict[EvidenceKind, tuple[LinkKind, str]] = {
    EvidenceKind.PHONE: (LinkKind.PHONE, "the same phone"),
    EvidenceKind.EMAIL: (LinkKind.EMAIL, "the same e-mail"),
    EvidenceKind.ADDRESS: (LinkKind.ADDRESS, "the same address"),
    EvidenceKind.CARD: (LinkKind.CARD, "the same payment card"),
    EvidenceKind.AGENCY: (LinkKind.AGENCY, "the same travel agency"),
}


def _unrelated(bookings: Iterable[int], travellers: dict[int, set[int]]) -> int:
    """How many parties hold a value: bookings with a traveller in common count once."""
    found = list(bookings)
    if len(found) < 2:  # most values: one booking's own (no need to join anyone)
        return len(found)
    first: dict[int, int] = {}  # a traveller -> the first of these bookings they travel on
    parent = {booking: booking for booking in found}

    def root(booking: int) -> int:
        while parent[booking] != booking:
            parent[booking] = parent[parent[booking]]
            booking = parent[booking]
        return booking

    parties = len(parent)
    for booking in parent:
        for person in travellers.get(booking, ()):
            seen = first.setdefault(person, booking)
            if seen != booking and (a := root(booking)) != (b := root(seen)):
                parent[a] = b
                parties -= 1
    return parties


class StoreGraph:
    """A network source (`openpiu.analysis.network.Source`) over the store's evidence index."""

    def __init__(self, store: Store, *, min_shared_flights: int = 2, co_travel_hops: int = 1) -> None:
        self.store = store
        self.min_shared_flights = min_shared_flights
        #: Co-travel on the same flights is asked for the identities of the first hops only: every fellow
        #: passenger of every flight of a growing frontier is what makes it costly (a popular connection
        #: seats dozens of strangers together twice), and it is the weakest link but the agency's.
        self.co_travel_hops = co_travel_hops
        self.queries = 0
        self.hops = 0

    def __call__(self, nodes: frozenset[Node], limit: int) -> list[Shared]:
        identities = sorted(int(n.id) for n in nodes if n.kind is NodeKind.IDENTITY)
        bookings = sorted(int(n.id) for n in nodes if n.kind is NodeKind.BOOKING)
        bookings_of: dict[int, set[int]] = defaultdict(set)
        travellers: dict[int, set[int]] = defaultdict(set)
        keys_of: dict[int, set[tuple[EvidenceKind, str]]] = defaultdict(set)
        self.queries += 2
        for identity, booking in self.store.travelling(identity_ids=identities, booking_ids=bookings):
            bookings_of[identity].add(booking)
            travellers[booking].add(identity)
        for booking, kind, digest in self.store.booking_keys(bookings) if bookings else ():
            if kind in _KINDS:
                keys_of[booking].add((kind, digest))
        answers: list[Shared] = []
        for identity in identities:
            node = Node(NodeKind.IDENTITY, str(identity))
            for booking in sorted(bookings_of.get(identity, ())):
                answers.append(
                    Shared(
                        node,
                        LinkKind.TRAVELS_ON,
                        str(booking),
                        _TRAVELS_ON,
                        (Node(NodeKind.BOOKING, str(booking)),),
                        2,
                        1,
                    )
                )
        self.hops += 1
        if identities and self.hops <= self.co_travel_hops:
            answers.extend(self._same_flights(identities))
        wanted = sorted({digest for booking in bookings for _, digest in keys_of.get(booking, ())})
        if not wanted:
            return answers
        self.queries += 2
        found = self.store.key_holders(wanted, most=CROWDED * limit)
        holders = {digest: set(held) for digest, held in found.held.items()}
        others = sorted(set().union(*holders.values()) - set(travellers))
        self.queries += 1
        for identity, booking in self.store.travelling(booking_ids=others) if others else ():
            travellers[booking].add(identity)
        for booking in bookings:
            node = Node(NodeKind.BOOKING, str(booking))
            people = sorted(travellers.get(booking, ()))
            if people:
                answers.append(
                    Shared(
                        node,
                        LinkKind.TRAVELS_ON,
                        str(booking),
                        _TRAVELS_ON,
                        tuple(Node(NodeKind.IDENTITY, str(p)) for p in people),
                        len(people) + 1,
                        len(people),
                    )
                )
            for kind, digest in sorted(keys_of.get(booking, ())):
                link, label = _KINDS[kind]
                if digest in found.crowded:  # a hub, whoever holds it: counted, not read
                    crowd = found.crowded[digest]
                    answers.append(Shared(node, link, digest, label, (), crowd, crowd))
                    continue
                held = holders.get(digest, {booking})
                spread = _unrelated(held, travellers)
                shown = sorted(held - {booking})[: limit if spread > limit else None]
                answers.append(
                    Shared(
                        node,
                        link,
                        digest,
                        label,
                        tuple(Node(NodeKind.BOOKING, str(b)) for b in shown),
                        len(held),
                        spread,
                    )
                )
        return answers

    def _same_flights(self, identities: list[int]) -> list[Shared]:
        """For each identity, the others on the same flights on separate bookings, grouped by the flights
        they share; a family on one booking counts once towards the spread."""
        self.queries += 1
        rows = self.store.flights_together(identities, at_least=self.min_shared_flights)
        names: dict[int, str] = {}
        together: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        apart: dict[tuple[int, int], set[int]] = defaultdict(set)
        for row in rows:
            names[row.flight_id] = f"{designator(row.carrier, row.number) or row.carrier}/{row.flight_date}"
            together[row.identity_id][row.other_id].add(row.flight_id)
            apart[(row.identity_id, row.other_id)].add(row.other_booking_id)
        answers: list[Shared] = []
        for identity in sorted(together):
            by_flights: dict[frozenset[int], list[int]] = defaultdict(list)
            for other, taken in together[identity].items():
                by_flights[frozenset(taken)].append(other)
            node = Node(NodeKind.IDENTITY, str(identity))
            for flights, others in by_flights.items():
                shown = sorted(names[f] for f in flights)
                unrelated = {min(apart[(identity, other)]) for other in others}
                answers.append(
                    Shared(
                        node,
                        LinkKind.SAME_FLIGHTS,
                        "+".join(shown),
                        f"on the same {len(shown)} flights on separate bookings: {', '.join(shown)}",
                        tuple(Node(NodeKind.IDENTITY, str(other)) for other in sorted(others)),
                        len(others) + 1,
                        len(unrelated) + 1,
                    )
                )
        return answers


@dataclass(frozen=True, slots=True)
class IdentityNetwork:
    identity: int
    network: Network
    locators: dict[str, str | None]  # booking node id -> its locator
    #: booking node id -> its flight and local date ("LH400 2026-11-29"): what the analyst knows it by.
    flights: dict[str, str] = dataclasses.field(default_factory=dict)

    def label(self, node: Node) -> str:
        """A node as an analyst knows it: a booking by its locator, flight and date; an identity by its
        number (its name is on the traveller's page it leads to)."""
        if node.kind is NodeKind.BOOKING:
            locator = self.locators.get(node.id) or "(no locator)"
            flight = self.flights.get(node.id)
            return f"booking {locator}, {flight}" if flight else f"booking {locator}"
        return f"traveller (identity {node.id})"

    def _node(self, node: Node) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": node.kind.value, "id": node.id}
        if node.kind is NodeKind.BOOKING:
            found["locator"] = self.locators.get(node.id)
            found["flight"] = self.flights.get(node.id)
        found["label"] = self.label(node)
        return found

    def to_dict(self) -> dict[str, Any]:
        """The `openpiu network --json` contract: keep it stable (add keys, never rename)."""
        network = self.network
        return {
            "identity": self.identity,
            "hops": network.hops,
            "truncated": network.truncated,
            "nodes": [{**self._node(r.node), "hops": r.hops, "score": r.score} for r in network.nodes],
            "links": [
                {
                    "source": self._node(link.source),
                    "target": self._node(link.target),
                    "kind": link.kind.value,
                    "reason": link.label,
                    "weight": link.weight,
                }
                for link in network.links
            ],
            "hubs": [
                {
                    "kind": hub.kind.value,
                    "reason": hub.label,
                    "holders": hub.holders,
                    "spread": hub.spread,
                    "seen_from": [self._node(node) for node in hub.seen_from],
                }
                for hub in network.hubs
            ],
        }


class NetworkDesk:
    def __init__(self, store: Store) -> None:
        self.store = store

    def network(
        self,
        actor: str,
        identity_id: int,
        *,
        hops: int = 3,
        reason: str = DEFAULT_READ_REASON,
        settings: NetworkSettings | None = None,
        max_nodes: int | None = None,
    ) -> IdentityNetwork:
        """The network within `hops` links of the identity (a read of personal data: audited first), of at
        most `max_nodes` nodes if given (the strongest links kept: `PAGE_NODES` for a page)."""
        store = self.store
        if not store.identity_exists(identity_id):
            raise NoSuchIdentity(f"no identity {identity_id} (it may have been merged into another)")
        store.record(
            actor=actor,
            action="network.read",
            subject=f"identity {identity_id}",
            reason=reason,
            details={"hops": hops},
        )
        chosen = settings or NetworkSettings()
        if chosen.hops != hops or (max_nodes is not None and max_nodes != chosen.max_nodes):
            chosen = dataclasses.replace(chosen, hops=hops, max_nodes=max_nodes or chosen.max_nodes)
        network = explore(Node(NodeKind.IDENTITY, str(identity_id)), StoreGraph(store), chosen)
        booking_ids = [int(node.id) for node in network.reached(NodeKind.BOOKING)]
        summaries = store.booking_summaries(booking_ids)
        locators = {str(s.id): s.locator for s in summaries}
        flights = {str(s.id): f"{s.flight} {s.flight_date.isoformat()}".strip() for s in summaries}
        return IdentityNetwork(identity_id, network, locators, flights)


def identity_network(
    url: str, identity_id: int, *, hops: int, clock: Clock, actor: str, reason: str = DEFAULT_READ_REASON
) -> IdentityNetwork:
    """For the command line: by database URL."""
    store = open_store(url, clock=clock)
    try:
        return NetworkDesk(store).network(actor, identity_id, hops=hops, reason=reason)
    finally:
        store.close()
