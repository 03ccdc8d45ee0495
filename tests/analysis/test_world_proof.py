"""Proof against the synthetic world's ground truth: every planted journey and broken journey is found in the
parsed messages, and every planted network is recovered from any of its members, hubs not flooding it.

The generated messages are read with the project's reader; the truth's person ids stand for the identities
that identity resolution will provide (truth/travellers.jsonl says which traveller occurrence is whom).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openpiu.analysis.journeys import TravelSegment, chain, segments_of
from openpiu.analysis.network import FlightTaken, MemoryGraph, NetworkSettings, booking_attributes, explore
from openpiu.formats.reader import read_messages
from openpiu.model import PnrPush
from openpiu.model.journeys import Journey, StopKind, TravelHistory
from openpiu.model.network import Attribute, LinkKind, Node, NodeKind
from openpiu.synth.world import generate, world_params

KEY = b"proof"


@dataclass
class World:
    truth: Path
    histories: dict[str, TravelHistory]
    cancelled: set[str]  # locators some push announced cancelled
    graph: MemoryGraph

    def lines(self, name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.truth / name).read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("proof")
    params = dataclasses.replace(
        world_params(seed=1, days=2, scale=0.01, broken_rate=0.0), broken_journeys=8, networks=8
    )
    generate(params, folder)
    who = {
        (row["file"], row["locator"], row["reference"]): row["person_id"]
        for row in map(json.loads, (folder / "truth" / "travellers.jsonl").read_text().splitlines())
    }
    segments: dict[str, list[TravelSegment]] = defaultdict(list)
    memberships: set[tuple[str, str]] = set()
    attributes: dict[tuple[Node, LinkKind, str], Attribute] = {}
    flights: set[FlightTaken] = set()
    cancelled: set[str] = set()
    for path in sorted((folder / "messages").iterdir()):
        for message in read_messages(path.read_bytes(), source=path.name):
            if not isinstance(message, PnrPush):
                continue
            for booking in message.bookings:
                locator = booking.locator or ""
                if booking.cancelled:
                    cancelled.add(locator)
                for attribute in booking_attributes(booking, booking_id=locator, key=KEY):
                    attributes[(attribute.node, attribute.kind, attribute.key)] = attribute
                for traveller in booking.travellers:
                    person = who.get((path.name, locator, traveller.ref))
                    if person is None:  # a TBA placeholder
                        continue
                    occurrence = f"{path.name}/{locator}/{traveller.ref}"
                    found = segments_of(booking, occurrence=occurrence, seen=message.header.prepared_at)
                    segments[person].extend(found)
                    memberships.add((person, locator))
                    flights.update(
                        FlightTaken(person, s.carrier, s.number, s.departure.date(), locator) for s in found
                    )
    return World(
        truth=folder / "truth",
        histories={person: chain(found) for person, found in segments.items()},
        cancelled=cancelled,
        graph=MemoryGraph(memberships, attributes.values(), flights),
    )


def _contains(journey: Journey, flights: list[dict[str, str]]) -> tuple[int, int] | None:
    """Where the truth's flights are consecutive legs of the journey: (first leg, last leg), or None."""
    wanted = [(f["carrier"] + f["number"].lstrip("0"), f["origin"], f["destination"]) for f in flights]
    legs = [(leg.designators(), leg.origin, leg.destination) for leg in journey.legs]
    for start in range(len(legs) - len(wanted) + 1):
        window = legs[start : start + len(wanted)]
        pairs = zip(wanted, window, strict=True)
        if all(name in names and (o, d) == (oo, dd) for (name, o, d), (names, oo, dd) in pairs):
            return start, start + len(wanted) - 1
    return None


def test_every_planted_journey_is_found_and_every_broken_one_flagged(world: World) -> None:
    planted = world.lines("journeys.jsonl")
    broken = [j for j in planted if j["broken"]]
    assert len(broken) == 8
    assert len(planted) - len(broken) >= 20
    checked = 0
    for truth in planted:
        if set(truth["locators"]) & world.cancelled:
            continue  # the booking was cancelled: no journey is made
        for person in truth["person_ids"]:
            history = world.histories[person]
            found = [(j, where) for j in history.journeys if (where := _contains(j, truth["flights"]))]
            assert len(found) == 1, (truth["journey_id"], person)
            journey, (first, last) = found[0]
            stops = journey.stops[first:last]
            assert all(stop.kind is StopKind.CONNECTION for stop in stops), truth["journey_id"]
            if truth["broken"]:
                assert all(stop.separate_bookings and stop.broken for stop in stops), truth["journey_id"]
                legs = journey.legs[first : last + 1]
                assert [b for leg in legs for b in leg.bookings] == truth["locators"]
                for stop in stops:
                    assert stop.broken is not None
                    assert all(locator in stop.broken.reason for locator in truth["locators"])
            else:
                assert not any(stop.separate_bookings for stop in stops), truth["journey_id"]
            checked += 1
    assert checked >= len(planted) - 3


def test_broken_travel_is_flagged_only_where_planted_or_really_there(world: World) -> None:
    planted = {
        (person, tuple(j["locators"]))
        for j in world.lines("journeys.jsonl")
        if j["broken"]
        for person in j["person_ids"]
    }
    flagged = {
        (person, (*stop.broken.before, *stop.broken.after))
        for person, history in world.histories.items()
        for journey in history.journeys
        for stop in journey.stops
        if stop.broken is not None
    }
    assert planted <= flagged
    # People fly more than once in the world: what else is flagged is a real connection on separate bookings
    # that the world made by chance. There are few.
    assert len(flagged - planted) <= len(planted) // 2


def test_every_planted_network_is_recovered_from_any_member_within_three_hops(world: World) -> None:
    networks = world.lines("networks.jsonl")
    assert {n["kind"] for n in networks} == {"phone", "email", "address", "card"}
    sizes = []
    hubs_seen = 0
    for truth in networks:
        kind = LinkKind(truth["kind"])
        members = {Node(NodeKind.IDENTITY, person) for person in truth["person_ids"]}
        locators = {Node(NodeKind.BOOKING, locator) for locator in truth["locators"]}
        for start in sorted(members):
            network = explore(start, world.graph)
            reached = set(network.reached())
            assert members <= reached, (truth["network_id"], start)
            shared = {
                frozenset((link.source, link.target))
                for link in network.links
                if link.kind is kind and {link.source, link.target} <= locators
            }
            assert len(shared) == len(locators) * (len(locators) - 1) // 2, truth["network_id"]
            for member in members - {start}:
                assert kind in {link.kind for link in network.path_to(member)}, (truth["network_id"], member)
            sizes.append(len(network.nodes))
            hubs_seen += len(network.hubs)
            assert not network.truncated
    # The world's large travel agencies are hubs: seen, reported, and not followed.
    assert hubs_seen > 0
    assert max(sizes) <= 200, sizes


def test_following_hubs_would_flood_the_network(world: World) -> None:
    start = next(
        Node(NodeKind.IDENTITY, person)
        for truth in world.lines("networks.jsonl")
        for person in truth["person_ids"]
        if explore(Node(NodeKind.IDENTITY, person), world.graph).hubs
    )
    kept = explore(start, world.graph)
    flooded = explore(start, world.graph, NetworkSettings(follow_hubs=True, max_nodes=100_000))
    assert len(flooded.nodes) > 3 * len(kept.nodes)
    hub_keys = {(hub.kind, hub.key) for hub in kept.hubs}
    assert not any((link.kind, link.key) in hub_keys for link in kept.links)
