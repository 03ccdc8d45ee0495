"""Networks of identities and bookings linked by what they share, each link with its reason.

`openpiu.analysis.network` explores the graph hop by hop from a traveller: it asks a source (the store, or
`analysis.network.MemoryGraph`) what a set of nodes shares (`Shared`), and returns a `Network`. Shared values
are digests (`Attribute.key`): a network never holds the phone number itself, only a label such as "phone
ending 41" for the analyst.
"""

from __future__ import annotations

from enum import StrEnum

from openpiu.model.record import record

__all__ = ["Attribute", "Hub", "Link", "LinkKind", "Network", "Node", "NodeKind", "Reached", "Shared"]


class NodeKind(StrEnum):
    IDENTITY = "identity"  # one person, however many bookings and names
    BOOKING = "booking"


@record(order=True)
class Node:
    kind: NodeKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


class LinkKind(StrEnum):
    """Why two nodes are linked."""

    TRAVELS_ON = "travels_on"  # an identity is a traveller on a booking (two on one booking: two hops)
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    CARD = "card"  # the same payment card (keyed hash of the number, or its last four and expiry)
    AGENCY = "agency"  # booked by the same travel agency office
    SAME_FLIGHTS = "same_flights"  # two identities on the same flights, on separate bookings


@record
class Attribute:
    """A value a node holds: a booking's contact phone, an identity's e-mail ... as a keyed digest."""

    node: Node
    kind: LinkKind
    key: str  # a keyed digest of the normalised value; equal keys, equal values
    label: str  # what an analyst reads, revealing no more than needed: "phone ending 41"


@record
class Shared:
    """What a source says one node shares: a value (or a booking, or flights) and who else holds it.

    `others` may be cut short for a value held widely (a hub): `holders` and `spread` still count them all
    (or at least one more than the limit the explorer asked for).
    """

    node: Node
    kind: LinkKind
    key: str
    label: str
    others: tuple[Node, ...]  # the other nodes holding it
    holders: int  # how many nodes hold it, the node itself included
    #: How many unrelated parties hold it: holders with a traveller in common count once (a person's phone on
    #: their ten bookings, or a family's e-mail on its booking, has a spread of 1). A store may approximate it
    #: by the smaller of the distinct bookings and the distinct identities behind the holders.
    spread: int


@record
class Link:
    """One edge of a network, with its reason and its weight (a hub's links weigh little)."""

    source: Node
    target: Node
    kind: LinkKind
    key: str
    label: str
    weight: float  # 0..1


@record
class Hub:
    """A value shared by so many unrelated identities that it says little: reported, not followed."""

    kind: LinkKind
    key: str
    label: str
    holders: int
    spread: int
    seen_from: tuple[Node, ...]  # the nodes of the network that hold it


@record
class Reached:
    node: Node
    hops: int  # the fewest links from the start
    score: float  # the strongest path from the start: the product of its links' weights


@record
class Network:
    """The nodes within k hops of a start node, the links between them, and the hubs not followed."""

    start: Node
    hops: int
    nodes: tuple[Reached, ...]  # by hops, then by score (strongest first)
    links: tuple[Link, ...]
    hubs: tuple[Hub, ...] = ()
    truncated: bool = False  # more was reachable than the result may hold

    def reached(self, kind: NodeKind | None = None) -> tuple[Node, ...]:
        return tuple(r.node for r in self.nodes if kind is None or r.node.kind is kind)

    def links_of(self, node: Node) -> tuple[Link, ...]:
        return tuple(link for link in self.links if node in (link.source, link.target))

    def path_to(self, node: Node) -> tuple[Link, ...]:
        """The links of one strongest shortest path from the start to `node` (empty when not reached)."""
        by_node = {r.node: r for r in self.nodes}
        if node not in by_node:
            return ()
        path: list[Link] = []
        current = node
        while current != self.start:
            here = by_node[current]
            step = max(
                (
                    link
                    for link in self.links_of(current)
                    if (other := link.target if link.source == current else link.source) in by_node
                    and by_node[other].hops == here.hops - 1
                ),
                key=lambda link: (
                    by_node[link.target if link.source == current else link.source].score * link.weight,
                    link.kind,
                    link.key,
                ),
                default=None,
            )
            if step is None:
                return ()
            path.append(step)
            current = step.target if step.source == current else step.source
        return tuple(reversed(path))
