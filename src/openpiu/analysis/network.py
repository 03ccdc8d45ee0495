"""Networks behind travellers: identities and bookings linked by shared phones, e-mails, addresses, payment
cards, travel agencies and co-travel, explored k hops from a traveller with the reason for every link.

The graph is never loaded whole. `explore` walks it level by level and asks a *source* what the current
frontier shares: `source(nodes, limit) -> Iterable[Shared]`, one answer per (node, shared value), with the
other holders (at most `limit` of them) and how many unrelated identities share it. The store answers with a
few set-based queries per hop (all the frontier's values at once, then all their holders), so three hops
are a handful of queries whatever the size of the data; `MemoryGraph` is the same source in memory, for
tests and small data.

**Hubs.** A value shared by many unrelated parties (a travel agency's phone on thousands of bookings, a
call centre's e-mail, a large agency) says little about any two of them. A value held by more than
`hub_spread` unrelated parties (`Shared.spread`: holders with a traveller in common count once) is reported
as a hub and not followed (unless asked); every link weighs less the more parties share its value
(`weight = kind weight / log2(1 + spread)`), so a phone two people share weighs more than one ten share.

`booking_attributes` turns a booking into the digests a source keeps: normalised, keyed (HMAC-SHA256) and
labelled with no more than an analyst needs ("phone ending 41").
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import hmac
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from types import MappingProxyType

from openpiu.model.journeys import designator
from openpiu.model.network import (
    Attribute,
    Hub,
    Link,
    LinkKind,
    Network,
    Node,
    NodeKind,
    Reached,
    Shared,
)
from openpiu.model.travel import Address, Booking, ContactKind

__all__ = [
    "DEFAULT_WEIGHTS",
    "FlightTaken",
    "MemoryGraph",
    "NetworkSettings",
    "Source",
    "booking_attributes",
    "explore",
]

#: What a source answers: for the frontier's nodes, each value they share and its other holders.
Source = Callable[[frozenset[Node], int], Iterable[Shared]]

#: How much a link of each kind says on its own (before the hub weighting). A travel agency books for
#: many people who never met; two people on several flights together on separate bookings may have.
DEFAULT_WEIGHTS: Mapping[LinkKind, float] = MappingProxyType(
    {
        LinkKind.TRAVELS_ON: 1.0,
        LinkKind.PHONE: 1.0,
        LinkKind.EMAIL: 1.0,
        LinkKind.ADDRESS: 0.8,
        LinkKind.CARD: 0.9,
        LinkKind.AGENCY: 0.2,
        LinkKind.SAME_FLIGHTS: 0.5,
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class NetworkSettings:
    hops: int = 3
    #: A value shared by more unrelated parties than this is a hub.
    hub_spread: int = 10
    follow_hubs: bool = False
    #: The most nodes a network holds (the start included); the strongest links are kept first.
    max_nodes: int = 500
    weights: Mapping[LinkKind, float] = dataclasses.field(default_factory=lambda: DEFAULT_WEIGHTS)

    def __post_init__(self) -> None:
        if self.hops < 0 or self.hub_spread < 1 or self.max_nodes < 1:
            raise ValueError("hops must not be negative; hub_spread and max_nodes must be positive")


def _weight(settings: NetworkSettings, shared: Shared) -> float:
    base = settings.weights.get(shared.kind, 0.5)
    if shared.kind is LinkKind.TRAVELS_ON:
        return base  # being on the booking is a fact, however large the group
    return base / math.log2(1 + max(1, shared.spread))


def _key(node: Node) -> tuple[str, str]:
    # Sorting by this tuple compares in C; the record's own ordering goes through Python for each pair.
    return (node.kind.value, node.id)


def _pair(a: Node, b: Node) -> tuple[Node, Node]:
    return (a, b) if _key(a) <= _key(b) else (b, a)


def explore(start: Node, source: Source, settings: NetworkSettings | None = None) -> Network:
    """The network within `settings.hops` links of `start`, fed hop by hop by `source`."""
    s = settings or NetworkSettings()
    limit = s.max_nodes if s.follow_hubs else s.hub_spread
    reached: dict[Node, Reached] = {start: Reached(start, 0, 1.0)}
    links: dict[tuple[Node, Node, LinkKind, str], Link] = {}
    hubs: dict[tuple[LinkKind, str], Hub] = {}
    truncated = False
    frontier = {start}
    for hop in range(1, s.hops + 1):
        if not frontier:
            break
        answers = sorted(source(frozenset(frontier), limit), key=lambda a: (*_key(a.node), a.kind, a.key))
        candidates: dict[Node, float] = {}
        pending: list[Link] = []
        for answer in answers:
            if answer.node not in reached:
                continue  # the source answered for a node not asked about
            if answer.kind is not LinkKind.TRAVELS_ON and answer.spread > s.hub_spread:
                found = hubs.get((answer.kind, answer.key))
                holders = (found.seen_from if found else ()) + (answer.node,)
                hubs[(answer.kind, answer.key)] = Hub(
                    answer.kind,
                    answer.key,
                    answer.label,
                    answer.holders,
                    answer.spread,
                    tuple(sorted(set(holders), key=_key)),
                )
                if not s.follow_hubs:
                    continue
            weight = _weight(s, answer)
            score = reached[answer.node].score * weight
            for other in sorted(set(answer.others), key=_key):
                if other == answer.node:
                    continue
                source_node, target = _pair(answer.node, other)
                pending.append(
                    Link(source_node, target, answer.kind, answer.key, answer.label, round(weight, 6))
                )
                if other not in reached:
                    candidates[other] = max(candidates.get(other, 0.0), score)
        # The strongest candidates first, when the network may not hold them all.
        room = s.max_nodes - len(reached)
        ranked = sorted(candidates.items(), key=lambda item: (-item[1], _key(item[0])))
        if len(ranked) > room:
            truncated = True
            ranked = ranked[: max(0, room)]
        frontier = set()
        for node, score in ranked:
            reached[node] = Reached(node, hop, round(score, 6))
            frontier.add(node)
        for link in pending:
            if link.source in reached and link.target in reached:
                links.setdefault((link.source, link.target, link.kind, link.key), link)
    nodes = sorted(reached.values(), key=lambda r: (r.hops, -r.score, _key(r.node)))
    return Network(
        start=start,
        hops=s.hops,
        nodes=tuple(nodes),
        links=tuple(
            sorted(
                links.values(), key=lambda link: (*_key(link.source), *_key(link.target), link.kind, link.key)
            )
        ),
        hubs=tuple(sorted(hubs.values(), key=lambda h: (-h.spread, h.kind, h.key))),
        truncated=truncated,
    )


# --- an in-memory source -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class FlightTaken:
    """An identity on a flight, on a booking: what co-travel on the same flights is found from."""

    identity: str
    carrier: str
    number: str
    day: date  # local departure date
    booking: str

    @property
    def flight(self) -> str:
        return f"{designator(self.carrier, self.number)}/{self.day.isoformat()}"


class MemoryGraph:
    """A source over occurrences held in memory: memberships, attributes and flights taken.

    `memberships` are (identity, booking) pairs: the identity travels on the booking. Two identities share
    flights when at least `min_shared_flights` flights have both on board on different bookings (fellow
    travellers of one booking are already two hops apart through it).
    """

    def __init__(
        self,
        memberships: Iterable[tuple[str, str]],
        attributes: Iterable[Attribute] = (),
        flights: Iterable[FlightTaken] = (),
        *,
        min_shared_flights: int = 2,
    ) -> None:
        self.min_shared_flights = min_shared_flights
        self._bookings_of: dict[str, set[str]] = defaultdict(set)
        self._travellers_of: dict[str, set[str]] = defaultdict(set)
        for identity, booking in memberships:
            self._bookings_of[identity].add(booking)
            self._travellers_of[booking].add(identity)
        self._values_of: dict[Node, dict[tuple[LinkKind, str], str]] = defaultdict(dict)
        self._holders: dict[tuple[LinkKind, str], set[Node]] = defaultdict(set)
        for attribute in attributes:
            value = (attribute.kind, attribute.key)
            self._values_of[attribute.node].setdefault(value, attribute.label)
            self._holders[value].add(attribute.node)
        self._spread = {value: self._unrelated(nodes) for value, nodes in self._holders.items()}
        self._flights_of: dict[str, dict[str, str]] = defaultdict(dict)  # identity -> flight -> booking
        self._on_flight: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for taken in flights:
            self._flights_of[taken.identity][taken.flight] = taken.booking
            self._on_flight[taken.flight][taken.identity].add(taken.booking)

    def _unrelated(self, nodes: Iterable[Node]) -> int:
        """How many unrelated parties hold a value: holders with a traveller in common count once."""
        parent: dict[str, str] = {}

        def root(item: str) -> str:
            parent.setdefault(item, item)
            while parent[item] != item:
                parent[item] = parent[parent[item]]
                item = parent[item]
            return item

        holders = []
        for node in nodes:
            holder = str(node)
            holders.append(holder)
            root(holder)
            people = {node.id} if node.kind is NodeKind.IDENTITY else self._travellers_of.get(node.id, set())
            for person in people:
                a, b = root(holder), root(f"identity:{person}")
                if a != b:
                    parent[a] = b
        return len({root(holder) for holder in holders})

    def __call__(self, nodes: frozenset[Node], limit: int) -> list[Shared]:
        answers: list[Shared] = []
        for node in sorted(nodes, key=_key):
            answers.extend(self._memberships(node))
            for (kind, key), label in sorted(self._values_of.get(node, {}).items()):
                holders = self._holders[(kind, key)]
                spread = self._spread[(kind, key)]
                others = holders - {node}
                # A hub's holders are counted, and only `limit` of them listed (the store's LIMIT).
                shown = (
                    sorted(others, key=_key) if spread <= limit else heapq.nsmallest(limit, others, key=_key)
                )
                answers.append(Shared(node, kind, key, label, tuple(shown), len(holders), spread))
            if node.kind is NodeKind.IDENTITY:
                answers.extend(self._same_flights(node.id))
        return answers

    def _memberships(self, node: Node) -> list[Shared]:
        if node.kind is NodeKind.IDENTITY:
            return [
                Shared(
                    node,
                    LinkKind.TRAVELS_ON,
                    b,
                    f"travels on booking {b}",
                    (Node(NodeKind.BOOKING, b),),
                    2,
                    1,
                )
                for b in sorted(self._bookings_of.get(node.id, ()))
            ]
        travellers = sorted(self._travellers_of.get(node.id, ()))
        if not travellers:
            return []
        return [
            Shared(
                node,
                LinkKind.TRAVELS_ON,
                node.id,
                f"travels on booking {node.id}",
                tuple(Node(NodeKind.IDENTITY, t) for t in travellers),
                len(travellers) + 1,
                len(travellers),
            )
        ]

    def _same_flights(self, identity: str) -> list[Shared]:
        """Identities on the same flights (at least `min_shared_flights`), grouped by the flights they share.

        People who share the same flights are one value: a popular pair of flights (out and back on the one
        daily service) is shared by many unrelated bookings, and is a hub like any other value.
        """
        together: dict[str, set[str]] = defaultdict(set)
        bookings_of: dict[str, set[str]] = defaultdict(set)
        for flight, booking in self._flights_of.get(identity, {}).items():
            for other, bookings in self._on_flight[flight].items():
                apart = bookings - {booking}
                if other != identity and apart:
                    together[other].add(flight)
                    bookings_of[other] |= apart
        by_flights: dict[frozenset[str], list[str]] = defaultdict(list)
        for other, shared in together.items():
            if len(shared) >= self.min_shared_flights:
                by_flights[frozenset(shared)].append(other)
        node = Node(NodeKind.IDENTITY, identity)
        answers = []
        for common, others in sorted(by_flights.items(), key=lambda item: sorted(item[0])):
            names = sorted(common)
            unrelated = {min(bookings_of[other]) for other in others}  # a family on one booking counts once
            answers.append(
                Shared(
                    node,
                    LinkKind.SAME_FLIGHTS,
                    "+".join(names),
                    f"on the same {len(names)} flights on separate bookings: {', '.join(names)}",
                    tuple(Node(NodeKind.IDENTITY, other) for other in sorted(others)),
                    len(others) + 1,
                    len(unrelated) + 1,
                )
            )
        return answers


# --- attributes of a booking -----------------------------------------------------------------------------

_NOT_DIGITS = re.compile(r"\D+")
_NOT_WORD = re.compile(r"[^0-9A-Z]+")
_PHONE_DIGITS = 10  # compare the last ten digits: "+49 151 ...", "0049151..." and "0151..." agree


def _digest(key: bytes, kind: LinkKind, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _phone(text: str | None) -> str | None:
    digits = _NOT_DIGITS.sub("", text or "")
    return digits[-_PHONE_DIGITS:] if len(digits) >= 7 else None


def _email(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    local, at, domain = value.partition("@")
    return value if at and local and "." in domain else None


def _address(address: Address) -> tuple[str, str] | None:
    """(normalised street, postcode and country; a label) or None without a street."""
    street = _NOT_WORD.sub(" ", (address.street or "").upper()).strip()
    if not street:
        return None
    postcode = _NOT_WORD.sub("", (address.postcode or "").upper())
    country = (address.country or "").strip().upper()
    city = " ".join((address.city or "").upper().split())
    place = " ".join(part for part in (postcode, city) if part)
    label = (
        "address in " + ", ".join(part for part in (place, country) if part)
        if place or country
        else "address"
    )
    return f"{street}|{postcode}|{country}", label


def booking_attributes(booking: Booking, *, booking_id: str, key: bytes) -> tuple[Attribute, ...]:
    """The phones, e-mails, addresses, cards and agency of a booking (and of its travellers), as digests.

    Phones compare on their last ten digits, e-mails in lower case, addresses on street, postcode and
    country; a card on its keyed hash when the number was sent whole, else on its last four digits and
    expiry (weaker: such links are labelled so). Each value is keyed with `key` (HMAC-SHA256), so the
    digests of one PIU cannot be matched against another's.
    """
    node = Node(NodeKind.BOOKING, booking_id)
    found: dict[tuple[LinkKind, str], str] = {}

    def add(kind: LinkKind, value: str | None, label: str) -> None:
        if value:
            found.setdefault((kind, _digest(key, kind, value)), label)

    contacts = [*booking.contacts, *(c for t in booking.travellers for c in t.contacts)]
    for contact in contacts:
        if contact.kind is ContactKind.EMAIL or "@" in contact.value:
            email = _email(contact.value)
            add(LinkKind.EMAIL, email, f"e-mail {email[0]}…@{email.partition('@')[2]}" if email else "")
        elif contact.kind in (ContactKind.PHONE, ContactKind.MOBILE, ContactKind.FAX, ContactKind.OTHER):
            phone = _phone(contact.value)
            add(LinkKind.PHONE, phone, f"phone ending {phone[-2:]}" if phone else "")
    addresses = [*booking.addresses, *(a for t in booking.travellers for a in t.addresses)]
    for address in addresses:
        normal = _address(address)
        if normal is not None:
            add(LinkKind.ADDRESS, normal[0], normal[1])
        phone = _phone(address.phone)
        add(LinkKind.PHONE, phone, f"phone ending {phone[-2:]}" if phone else "")
    payments = [
        *booking.payments,
        *(p for t in booking.travellers for ticket in t.tickets for p in ticket.payments),
    ]
    for payment in payments:
        if payment.card_hash:
            add(LinkKind.CARD, f"hash:{payment.card_hash}", f"card ending {payment.card_last4 or '?'}")
        elif payment.card_last4:
            add(
                LinkKind.CARD,
                f"last4:{payment.card_last4}:{payment.card_expiry or ''}",
                f"card ending {payment.card_last4} (last four digits and expiry only)",
            )
        phone = _phone(payment.payer_phone)
        add(LinkKind.PHONE, phone, f"phone ending {phone[-2:]}" if phone else "")
    office = booking.office
    if office is not None and (office.agent_type or "").upper() != "A":
        agency = (office.iata_number or office.office_id or "").strip().upper()
        add(LinkKind.AGENCY, agency, f"agency {agency}" if agency else "")
    return tuple(Attribute(node, kind, digest, label) for (kind, digest), label in sorted(found.items()))
