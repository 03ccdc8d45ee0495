"""A traveller's case file: the journeys and network of an identity as one document with its header (who,
when, why, which case, how far, how recent), only with a stated purpose, the export audited before the
reads; and the command line that writes it (`openpiu identity case-file`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.pipeline import Ingestor
from openpiu.services.casefile import FORMAT, CaseFileDesk, ExportRefused
from openpiu.services.identity import NoSuchIdentity
from openpiu.store import Occurrence, Store, open_store, upgrade
from openpiu.synth.corpus import demo_push

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
PURPOSE = "investigation 2026/31 of the national police"


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[str, Store, int]]:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    store = open_store(url, clock=FixedClock(AT))
    push = demo_push(seed=4, bookings=8)
    Ingestor(store, FixedClock(AT)).ingest(write_pnrgov(push), sender="1A", channel="t")
    assert push.flight is not None
    assert push.flight.departure is not None
    flight = store.find_flights(flight_date=push.flight.departure.local.date())[0]
    traveller = store.current_travellers(flight.id)[0]
    identity = store.identity_of(Occurrence(traveller_id=traveller.id))
    assert identity is not None
    try:
        yield url, store, identity
    finally:
        store.close()


def test_a_case_file_holds_its_header_the_journeys_and_the_network(stored: tuple[str, Store, int]) -> None:
    _, store, identity = stored
    found = CaseFileDesk(store, FixedClock(AT)).export(
        "analyst", identity, purpose=f"  {PURPOSE} ", hops=2, case_reference=" CASE-17 "
    )
    document = found.to_dict()
    assert set(document) == {"format", "version", "header", "journeys", "network"}
    assert document["format"] == FORMAT
    header = document["header"]
    assert header == {
        "identity": identity,
        "exported_by": "analyst",
        "exported_at": AT.isoformat(),
        "purpose": PURPOSE,
        "case_reference": "CASE-17",
        "hops": 2,
        "data_as_of": header["data_as_of"],
    }
    assert datetime.fromisoformat(header["data_as_of"]) <= AT
    assert document["journeys"]["identity"] == identity
    legs = [leg for journey in document["journeys"]["journeys"] for leg in journey["legs"]]
    assert legs
    for leg in legs:  # in local time (the airport's offset) and in UTC, the same instant
        assert datetime.fromisoformat(leg["departure_local"]) == datetime.fromisoformat(leg["departure"])
        assert datetime.fromisoformat(leg["departure"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    network = document["network"]
    assert network["hops"] == 2
    assert network["links"]
    assert all(link["reason"] for link in network["links"])
    assert all(node["label"] for node in network["nodes"])
    booking = next(node for node in network["nodes"] if node["kind"] == "booking")
    assert booking["label"].startswith(f"booking {booking['locator']}, ")
    # The export first, then the reads it made, all with its purpose.
    events = sorted(store.events(limit=100), key=lambda e: e.seq)
    assert [e.action for e in events] == ["case_file.export", "journeys.read", "network.read"]
    assert all(e.reason == PURPOSE and e.actor == "analyst" for e in events)
    assert events[0].subject == f"identity {identity}"
    assert events[0].details == {"hops": 2, "case_reference": "CASE-17"}


def test_an_export_needs_a_purpose_and_a_known_identity(stored: tuple[str, Store, int]) -> None:
    _, store, identity = stored
    desk = CaseFileDesk(store, FixedClock(AT))
    for purpose in ("", "   ", "because"):
        with pytest.raises(ExportRefused, match="purpose"):
            desk.export("analyst", identity, purpose=purpose)
    with pytest.raises(ExportRefused, match="0 to 3"):
        desk.export("analyst", identity, purpose=PURPOSE, hops=4)
    with pytest.raises(NoSuchIdentity):
        desk.export("analyst", 10**9, purpose=PURPOSE)
    assert store.events(limit=100) == []  # nothing refused was exported, nothing was read


def test_the_case_file_command_line(
    stored: tuple[str, Store, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, store, identity = stored
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    base = ["identity", "case-file", "--identity", str(identity), "--db", url]
    assert main([*base, "--purpose", PURPOSE, "--hops", "1", "--case", "C-9", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["header"]["case_reference"] == "C-9"
    assert shown["header"]["hops"] == 1
    assert shown["header"]["exported_by"].startswith("cli:")
    out = tmp_path / "case.json"
    assert main([*base, "--purpose", PURPOSE, "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["header"]["identity"] == identity
    assert main([*base, "--purpose", PURPOSE]) == 0
    assert capsys.readouterr().out.startswith(f"identity {identity}: case file for ")
    assert main([*base, "--purpose", "why"]) == 2
    assert main(["identity", "case-file", "--identity", "999999999", "--purpose", PURPOSE, "--db", url]) == 1
    exports = [e for e in store.events(limit=100) if e.action == "case_file.export"]
    assert len(exports) == 3
