"""Screening in the pipeline, on a generated day: the world's watchlists imported, every planted target hit
with an explanation, criteria hits explained, a re-push updating hits instead of doubling them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openpiu.clock import FixedClock
from openpiu.model import HitKind
from openpiu.pipeline import Ingestor, prepare
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.criteria import activate_file
from openpiu.services.ingest import ingest_paths, status
from openpiu.services.watchlists import MissingListFacts, import_watchlist_file, list_watchlists
from openpiu.store import open_store, upgrade
from openpiu.synth.world import generate, world_params

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
FACTS = {"legal_basis": "Art 6(3)(a) Directive 2016/681", "category": "terrorism", "owner": "PIU"}

CRITERION = """
- id: C-TEST-1
  title: travellers on a flight of the day from Frankfurt
  owner: supervisor A
  purpose: terrorism
  version: "1"
  approval: {approved_by: head of PIU, approved_on: 2026-11-01}
  review_date: 2027-02-01
  expires_on: 2027-05-01
  priority: 2
  condition:
    all:
      - {feature: flight_origin, in: [FRA]}
      - {feature: one_way, is: true}
"""


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate(world_params(scale=0.003, seed=7, quirk_rate=0.0), folder)
    return folder


def test_every_planted_target_is_hit_and_explained(world: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    clock = FixedClock(AT)
    with pytest.raises(MissingListFacts):
        import_watchlist_file(url, world / "watchlists" / "persons.csv", clock=clock, actor="test")
    for name in ("persons.csv", "documents.csv"):
        import_watchlist_file(url, world / "watchlists" / name, clock=clock, actor="test", overrides=FACTS)
    assert [w["active"] for w in list_watchlists(url, clock=clock)] == [True, True]

    ingest_paths([world / "messages"], url=url, clock=clock)
    targets = jsonl(world / "truth" / "watchlist_targets.jsonl")
    occurrences = jsonl(world / "truth" / "travellers.jsonl")
    store = open_store(url, clock=clock)
    try:
        hits = [h.hit for h in store.hits(limit=100_000)]
        by_entry: dict[str, set[tuple[str | None, str]]] = {}
        for hit in hits:
            assert hit.explanation, "a hit without an explanation"
            if hit.booking_id is None:  # a person of a passenger list no traveller was merged with
                continue
            booking = store.booking(hit.booking_id)
            assert booking is not None
            by_entry.setdefault(hit.source_id, set()).add((booking.locator, hit.traveller_key))
            assert any(f.feature for f in hit.explanation)
        missed = []
        for target in targets:
            travelled = {
                (o["locator"], o["reference"]) for o in occurrences if o["person_id"] == target["person_id"]
            }
            if travelled and not travelled & by_entry.get(target["entry_id"], set()):
                missed.append(target)
        assert not missed, f"planted targets not hit: {missed}"
        counts = status(url, clock=clock)
        assert counts["hits"] == len(hits) > 0
        assert (
            counts["messages"]["stored"] == counts["messages"]["received"] - counts["messages"]["quarantined"]
        )
    finally:
        store.close()


def test_criteria_hits_carry_their_reasons_and_a_repush_updates_them(world: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    clock = FixedClock(AT)
    criteria = tmp_path / "criteria.yml"
    criteria.write_text(CRITERION)
    [spec] = activate_file(criteria, url, clock, actor="supervisor A")
    assert spec.criterion_id == "C-TEST-1"
    files = sorted((world / "messages").iterdir())
    ingest_paths(files, url=url, clock=clock)
    store = open_store(url, clock=clock)
    try:
        found = [h for h in store.hits(limit=100_000) if h.hit.kind is HitKind.CRITERION]
        assert found, "the criterion matched nobody: nothing would be tested"
        for stored in found:
            features = {f.feature: f for f in stored.hit.explanation}
            assert features["flight_origin"].query == "FRA"
            assert stored.hit.priority == 2
        # Every push of a flight screens it again: a traveller pushed three times has one hit.
        assert max(h.screenings for h in found) > 1
        keys = [(h.hit.booking_id, h.hit.traveller_key, h.hit.source_id) for h in found]
        assert len(keys) == len(set(keys))
        events = [e.action for e in store.events(limit=1000)]
        assert "criterion.activated" in events
    finally:
        store.close()


class _CountingStore:
    """A store that counts the reads of what screening is done against."""

    COUNTED = ("watchlists", "active_criteria", "follows")

    def __init__(self, store: Any) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in self.COUNTED:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return found(*args, **kwargs)

        return counted


def test_a_batch_is_screened_against_the_lists_read_once(world: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    clock = FixedClock(AT)
    for name in ("persons.csv", "documents.csv"):
        import_watchlist_file(url, world / "watchlists" / name, clock=clock, actor="test", overrides=FACTS)
    files = sorted((world / "messages").iterdir())
    store = open_store(url, clock=clock)
    try:
        counting = _CountingStore(store)
        ingestor = Ingestor(store, clock, screening=ScreeningStage(counting, clock))
        batch = [prepare(path.read_bytes(), source=path.name) for path in files]
        result = ingestor.receive_batch(batch, sender="test", channel="file")
        assert result.stored_messages > 10
        assert result.hits > 0
        # once for the batch, not once for each of its flights
        assert counting.calls == Counter({"watchlists": 1, "active_criteria": 1, "follows": 1})
        # alone (a rescreen, a retry), screening reads what is in force now
        ScreeningStage(counting, clock).screen_flight(1)
        assert counting.calls["watchlists"] == 2
    finally:
        store.close()
