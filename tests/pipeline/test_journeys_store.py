"""Journeys and networks read from the store (issue 7): a generated world with planted broken journeys and
networks is ingested, its travellers resolved into identities; each planted broken journey is found, flagged
with both bookings named, and each planted network recovered from each member, through the services and the
command line (`openpiu journeys --json`, `openpiu network --json`), every read audited."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openpiu.analysis.network import NetworkSettings, explore
from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.model.network import LinkKind, Node, NodeKind
from openpiu.services.identity import NoSuchIdentity, export_identities
from openpiu.services.ingest import ingest_paths
from openpiu.services.journeys import JourneyDesk
from openpiu.services.network import NetworkDesk, StoreGraph
from openpiu.store import open_store, upgrade
from openpiu.synth.evaluation import export_key, read_truth
from openpiu.synth.world import generate, world_params

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
KEY = bytes(32)
#: The planted networks' kinds: every one is found through the store.
PLANTED = frozenset({"phone", "email", "address", "card"})


@dataclasses.dataclass
class World:
    folder: Path
    url: str
    identity_of: dict[str, int]  # person -> the identity most of their occurrences resolved to

    def lines(self, name: str) -> list[dict[str, Any]]:
        text = (self.folder / "truth" / name).read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("journeys-world")
    params = dataclasses.replace(
        world_params(seed=5, days=2, scale=0.006, broken_rate=0.0), broken_journeys=4, networks=4
    )
    generate(params, folder)
    url = f"sqlite:///{folder / 'openpiu.db'}"
    upgrade(url)
    summary = ingest_paths([folder / "messages"], url=url, clock=FixedClock(AT), card_key=KEY, readers=0)
    assert summary.result.identified > 0
    truth = read_truth(folder)
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    for line in export_identities(url, clock=FixedClock(AT), actor="t"):
        person = truth.get(export_key(line))
        if person is not None and line["identity"] is not None:
            votes[person][line["identity"]] += 1
    return World(folder, url, {person: found.most_common(1)[0][0] for person, found in votes.items()})


def test_every_planted_broken_journey_is_flagged_from_the_store(world: World) -> None:
    planted = [j for j in world.lines("journeys.jsonl") if j["broken"]]
    assert len(planted) >= 2  # as many as the small world has flights for
    store = open_store(world.url, clock=FixedClock(AT))
    try:
        desk = JourneyDesk(store)
        checked = 0
        for truth in planted:
            for person in truth["person_ids"]:
                found = desk.journeys("analyst", world.identity_of[person])
                assert found.broken, (truth["journey_id"], person)
                reasons = [
                    stop.broken.reason
                    for journey in found.history.journeys
                    for stop in journey.stops
                    if stop.broken is not None
                ]
                assert any(all(loc in reason for loc in truth["locators"]) for reason in reasons), (
                    truth["journey_id"],
                    reasons,
                )
                assert set(truth["locators"]) <= set(found.bookings)
                checked += 1
        assert checked >= len(planted)
        reads = [e for e in store.events(limit=10_000) if e.action == "journeys.read"]
        assert len(reads) == checked
        assert all(e.actor == "analyst" for e in reads)
        with pytest.raises(NoSuchIdentity):
            desk.journeys("analyst", 10**9)
    finally:
        store.close()


def test_the_command_line_writes_one_json_object(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path))
    truth = next(j for j in world.lines("journeys.jsonl") if j["broken"])
    identity = world.identity_of[truth["person_ids"][0]]
    assert main(["journeys", "--identity", str(identity), "--json", "--db", world.url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["identity"] == identity
    assert shown["broken_travel"] is True
    assert set(shown) == {
        "identity",
        "occurrences",
        "bookings",
        "broken_travel",
        "journeys",
        "cancelled_legs",
    }
    broken = [j for j in shown["journeys"] if j["broken"]]
    assert broken
    assert all(j["reasons"] for j in broken)
    for journey in shown["journeys"]:
        assert len(journey["stops"]) == len(journey["legs"]) - 1
        for leg in journey["legs"]:
            assert datetime.fromisoformat(leg["departure"]) < datetime.fromisoformat(leg["arrival"])
            assert leg["bookings"]
    flagged = [s["broken"] for j in broken for s in j["stops"] if s["broken"]]
    assert any(all(loc in b["reason"] for loc in truth["locators"]) for b in flagged)

    assert main(["journeys", "--identity", str(identity), "--db", world.url]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"identity {identity}: ")
    assert "BROKEN TRAVEL: " in text
    assert main(["journeys", "--identity", "999999999", "--db", world.url]) == 1


def test_every_planted_network_is_recovered_through_the_store(world: World) -> None:
    """From each member of a planted network (shared phone, e-mail, address or card on separate bookings),
    every other member is reached within three hops through a link of the planted kind; a few queries per
    hop; every read audited."""
    networks = world.lines("networks.jsonl")
    assert {n["kind"] for n in networks} == PLANTED
    store = open_store(world.url, clock=FixedClock(AT))
    try:
        desk = NetworkDesk(store)
        checked = 0
        hubs = 0
        for truth in networks:
            kind = LinkKind(truth["kind"])
            members = {Node(NodeKind.IDENTITY, str(world.identity_of[p])) for p in truth["person_ids"]}
            for start in sorted(members):
                found = desk.network("analyst", int(start.id))
                network = found.network
                assert members <= set(network.reached()), (truth["network_id"], start)
                for member in members - {start}:
                    assert kind in {link.kind for link in network.path_to(member)}, truth["network_id"]
                locators = {found.locators[n.id] for n in network.reached(NodeKind.BOOKING)}
                assert set(truth["locators"]) <= locators
                assert all(link.label for link in network.links)
                assert not network.truncated
                hubs += len(network.hubs)
                checked += 1
        assert hubs > 0  # the world's large agencies: reported, not followed
        reads = [e for e in store.events(limit=10_000) if e.action == "network.read"]
        assert len(reads) == checked
    finally:
        store.close()
    graph = StoreGraph(open_store(world.url, clock=FixedClock(AT)))
    try:
        start = Node(NodeKind.IDENTITY, str(world.identity_of[networks[0]["person_ids"][0]]))
        explore(start, graph, NetworkSettings(hops=3))
        # per hop: who travels where, the bookings' keys, their holders (counted, then read), the holders'
        # travellers; co-travel once: set-based, whatever the data's size
        assert graph.queries <= 3 * 5 + 1
    finally:
        graph.store.close()


def test_fellow_travellers_of_one_booking_are_reached_through_it(world: World) -> None:
    """Co-travel on the same booking: each party's members reach each other in two hops through their
    booking, named by its locator, flight and date."""
    parties: dict[str, set[str]] = defaultdict(set)
    for row in world.lines("travellers.jsonl"):
        if row.get("locator") and row.get("person_id"):  # (a TBA placeholder is nobody)
            parties[row["locator"]].add(row["person_id"])
    groups = sorted((locator, sorted(people)) for locator, people in parties.items() if len(people) > 1)
    assert groups
    store = open_store(world.url, clock=FixedClock(AT))
    try:
        desk = NetworkDesk(store)
        for locator, people in groups[:12]:
            found = desk.network("analyst", world.identity_of[people[0]], hops=2)
            for person in people[1:]:
                other = Node(NodeKind.IDENTITY, str(world.identity_of[person]))
                path = found.network.path_to(other)
                assert [link.kind for link in path] == [LinkKind.TRAVELS_ON] * 2, (locator, person)
                booking = next(n for n in (path[0].source, path[0].target) if n.kind is NodeKind.BOOKING)
                assert found.label(booking).startswith(f"booking {locator}, ")
    finally:
        store.close()


def test_the_network_command_line(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path))
    truth = next(n for n in world.lines("networks.jsonl") if n["kind"] == "card")
    identity = world.identity_of[truth["person_ids"][0]]
    assert main(["network", "--identity", str(identity), "--hops", "3", "--json", "--db", world.url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {"identity", "hops", "truncated", "nodes", "links", "hubs"}
    assert shown["identity"] == identity
    assert {n["locator"] for n in shown["nodes"] if n["kind"] == "booking"} >= set(truth["locators"])
    assert any(link["kind"] == truth["kind"] for link in shown["links"])
    assert main(["network", "--identity", str(identity), "--hops", "1", "--db", world.url]) == 0
    assert capsys.readouterr().out.startswith(f"identity {identity}: ")
    assert main(["network", "--identity", "999999999", "--db", world.url]) == 1
