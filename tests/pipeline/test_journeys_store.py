"""Journeys read from the store (issue 7): a generated world with planted broken journeys is ingested, its
travellers resolved into identities, and each planted broken journey is found, flagged with both bookings
named, through the service and the command line (`openpiu journeys --json`), every read audited."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.services.identity import NoSuchIdentity, export_identities
from openpiu.services.ingest import ingest_paths
from openpiu.services.journeys import JourneyDesk
from openpiu.store import open_store, upgrade
from openpiu.synth.evaluation import export_key, read_truth
from openpiu.synth.world import generate, world_params

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
KEY = bytes(32)


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
