"""`openpiu follow add|list|review|end` on a database with resolved identities: only a confirmed identity is
followed; a follow is listed with its review date, extended and ended, each step audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openpiu.analysis.identity import evidence_secret, push_evidence, resolve
from openpiu.cli import main
from openpiu.clock import SystemClock
from openpiu.store import open_store, upgrade
from openpiu.synth.corpus import demo_push


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int, int]:
    """A database with one push resolved, one identity confirmed by an analyst's link and one not."""
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    store = open_store(url, clock=SystemClock())
    try:
        push = demo_push(seed=3, bookings=5)
        mid = store.receive(b"push", sender="1A", channel="test").message_id
        store.store_push(mid, push)
        store.resolve_push([(mid, push_evidence(push, evidence_secret(bytes(32))))], resolve)
        ids = sorted({row.identity for row in store.identity_export() if row.identity is not None})
        store.link_identities(ids[0], ids[1], actor="user:anna", reason="one passport photo")
    finally:
        store.close()
    return url, ids[0], ids[2]


def test_a_follow_is_added_listed_reviewed_and_ended(
    database: tuple[str, int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    url, confirmed, unconfirmed = database
    basis = ["--legal-basis", "Art 6(2)(b), case 2026/17", "--reason", "courier for the network"]
    assert main(["follow", "add", "--identity", str(unconfirmed), *basis, "--days", "30", "--db", url]) == 1
    assert "not confirmed" in capsys.readouterr().err
    assert main(["follow", "add", "--identity", str(confirmed), *basis, "--days", "91", "--db", url]) == 2
    assert "1 to 90 days" in capsys.readouterr().err
    assert main(["follow", "add", "--identity", "999999", *basis, "--days", "30", "--db", url]) == 1

    assert main(["follow", "add", "--identity", str(confirmed), *basis, "--days", "30", "--db", url]) == 0
    added = json.loads(capsys.readouterr().out)
    assert (added["identity"], added["state"], added["due_for_review"]) == (confirmed, "active", False)
    assert added["grounds"].startswith("identity link judgement")
    follow_id = added["follow"]

    assert main(["follow", "list", "--json", "--db", url]) == 0
    [listed] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed["follow"] == follow_id
    assert [e["kind"] for e in listed["events"]] == ["started"]

    assert (
        main(["follow", "review", str(follow_id), "--reason", "still active", "--days", "60", "--db", url])
        == 0
    )
    reviewed = json.loads(capsys.readouterr().out)
    assert reviewed["expires_at"] > added["expires_at"]
    assert main(["follow", "end", str(follow_id), "--reason", "case closed", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "ended"
    assert main(["follow", "end", str(follow_id), "--reason", "again", "--db", url]) == 1
    assert main(["follow", "list", "--db", url]) == 0
    assert capsys.readouterr().out == ""
    assert main(["follow", "list", "--all", "--db", url]) == 0
    assert f"follow {follow_id}\tidentity {confirmed}\tended" in capsys.readouterr().out

    store = open_store(url, clock=SystemClock())
    try:
        actions = [e.action for e in store.events(limit=100)]
    finally:
        store.close()
    assert [a for a in actions if a.startswith("follow")] == [
        "follow.started",
        "follows.read",
        "follow.reviewed",
        "follow.ended",
        "follows.read",
        "follows.read",
    ]
