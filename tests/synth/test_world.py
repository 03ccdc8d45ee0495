"""The generated world: deterministic, readable, and its truth matches what parsing the messages finds."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from openpiu.formats.errors import ParseError
from openpiu.formats.reader import read_messages
from openpiu.model import PassengerList, PnrPush
from openpiu.synth.types import Variation
from openpiu.synth.world import generate, world_params

PARAMS = {"seed": 7, "days": 1, "scale": 0.002}


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    params = world_params(**PARAMS)  # type: ignore[arg-type]
    generate(params, folder)
    return folder


@pytest.fixture(scope="module")
def parsed(world: Path) -> dict[str, list[object]]:
    return {
        path.name: list(read_messages(path.read_bytes(), source=path.name))
        for path in sorted((world / "messages").iterdir())
    }


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(world: Path, tmp_path: Path) -> None:
    generate(world_params(**PARAMS), tmp_path)  # type: ignore[arg-type]
    assert digest(tmp_path) == digest(world)


def test_another_seed_another_world(world: Path, tmp_path: Path) -> None:
    generate(world_params(**{**PARAMS, "seed": 8}), tmp_path)  # type: ignore[arg-type]
    assert digest(tmp_path) != digest(world)


def test_layout(world: Path) -> None:
    assert {p.name for p in world.iterdir()} == {"messages", "watchlists", "truth"}
    assert {p.name for p in (world / "truth").iterdir()} >= {
        "travellers.jsonl",
        "api_persons.jsonl",
        "persons.jsonl",
        "watchlist_targets.jsonl",
        "networks.jsonl",
        "journeys.jsonl",
        "broken_messages.jsonl",
        "sensitive_items.jsonl",
        "summary.json",
    }
    assert {p.name for p in (world / "watchlists").iterdir()} == {
        "persons.csv",
        "persons.ftm.jsonl",
        "documents.csv",
    }


def test_every_message_parses_except_the_broken_ones(world: Path, parsed: dict[str, list[object]]) -> None:
    broken = {row["file"] for row in lines(world / "truth" / "broken_messages.jsonl")}
    for name, outcomes in parsed.items():
        failed = [o for o in outcomes if isinstance(o, ParseError)]
        if name in broken:
            assert failed, f"{name} is recorded as broken but reads"
        else:
            assert outcomes, name
            assert not failed, f"{name}: {failed}"


def test_summary_equals_what_parsing_finds(world: Path, parsed: dict[str, list[object]]) -> None:
    summary = json.loads((world / "truth" / "summary.json").read_text())
    pushes = [o for outcomes in parsed.values() for o in outcomes if isinstance(o, PnrPush)]
    lists = [o for outcomes in parsed.values() for o in outcomes if isinstance(o, PassengerList)]
    assert summary["messages"] == len(parsed)
    assert summary["pnrgov_messages"] == len(pushes)
    assert summary["paxlst_messages"] == len(lists)
    assert summary["booking_occurrences"] == sum(len(p.bookings) for p in pushes)
    assert summary["bookings"] == len({b.locator for p in pushes for b in p.bookings})
    assert summary["traveller_occurrences"] == sum(len(b.travellers) for p in pushes for b in p.bookings)
    assert summary["api_person_occurrences"] == sum(len(plist.persons) for plist in lists)
    assert summary["flights"] > 0
    assert summary["distinct_persons"] > 0


def test_traveller_truth_points_at_real_travellers(world: Path, parsed: dict[str, list[object]]) -> None:
    truth = {(r["file"], r["locator"], r["reference"]) for r in lines(world / "truth" / "travellers.jsonl")}
    found = {
        (name, b.locator, t.ref)
        for name, outcomes in parsed.items()
        for o in outcomes
        if isinstance(o, PnrPush)
        for b in o.bookings
        for t in b.travellers
    }
    assert truth == found
    api = Counter(r["file"] for r in lines(world / "truth" / "api_persons.jsonl"))
    for name, count in api.items():
        (plist,) = parsed[name]
        assert isinstance(plist, PassengerList)
        assert len(plist.persons) == count


def test_planted_cases_are_present(world: Path) -> None:
    truth = world / "truth"
    travelling = {r["person_id"] for r in lines(truth / "travellers.jsonl")}
    targets = lines(truth / "watchlist_targets.jsonl")
    assert {t["variation"] for t in targets} == {v.value for v in Variation} | {"lost_document"}
    assert all(t["person_id"] in travelling for t in targets)
    persons = (world / "watchlists" / "persons.csv").read_text()
    documents = (world / "watchlists" / "documents.csv").read_text()
    for target in targets:
        listed = documents if target["variation"] == "lost_document" else persons
        assert f"{target['entry_id']}," in listed
    networks = lines(truth / "networks.jsonl")
    assert networks
    assert {n["kind"] for n in networks} <= {"phone", "email", "address", "card"}
    broken = [j for j in lines(truth / "journeys.jsonl") if j["broken"]]
    assert broken
    locators = {r["locator"] for r in lines(truth / "travellers.jsonl")}
    assert all(set(j["locators"]) <= locators for j in broken)
    assert lines(truth / "sensitive_items.jsonl")


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="version"):
        world_params(versions="9.9")
    with pytest.raises(ValueError, match="days"):
        world_params(days=0)


def test_bookings_show_what_real_traffic_has(world: Path, parsed: dict[str, list[object]]) -> None:
    pushes = [o for outcomes in parsed.values() for o in outcomes if isinstance(o, PnrPush)]
    bookings = [b for p in pushes for b in p.bookings]
    travellers = [t for b in bookings for t in b.travellers]
    assert {t.type.value for t in travellers} == {"adult", "child", "infant"}
    assert any(t.placeholder for t in travellers)
    assert all(t.infant_of for t in travellers if t.type.value == "infant")
    assert {p.form for b in bookings for t in b.travellers for k in t.tickets for p in k.payments} | {
        p.form for b in bookings for p in b.payments
    } >= {"CC", "INV"}
    assert {p.function for p in pushes} == {"22", "141"}
    assert any(b.cancelled for b in bookings)
    assert any(s.check_ins for b in bookings for s in b.segments)
    assert any(len(b.segments) > 1 for b in bookings)
    # The same booking grows or shrinks between pushes: travellers join or cancel.
    sizes: dict[str, set[int]] = {}
    for b in bookings:
        if not b.cancelled and b.locator:
            sizes.setdefault(b.locator, set()).add(len(b.travellers))
    assert any(len(s) > 1 for s in sizes.values())
