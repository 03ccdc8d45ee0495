"""The `openpiu` command: the parse contract (JSON lines, exit codes) and the demo."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from openpiu.cli import demo_account, main
from openpiu.clock import SystemClock
from openpiu.services.accounts import AccountService
from openpiu.services.database import upgrade_database
from openpiu.services.ingest import status
from openpiu.settings import Settings

REQUIRED_KEYS = {"file", "type", "version", "function", "part", "final_part", "flight", "warnings"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_json_lines_for_every_kind_of_message(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        shared_dir / "samples" / "jetway" / "pnrgov_test_guideExample1_IG14.1_AppendixB_ex1.edi",
        shared_dir / "samples" / "jetway" / "paxlst_test_example53_PAXLST_IG_progressive_2legs_D15B.edi",
    ]
    code, out, _ = run(capsys, "parse", "--json", *map(str, files))
    assert code == 0
    pnr, api = (json.loads(line) for line in out.splitlines())
    assert pnr.keys() >= REQUIRED_KEYS
    assert (pnr["type"], pnr["version"], pnr["function"]) == ("PNRGOV", "11.1", "22")
    assert pnr["flight"]["carrier"] == "SQ"
    assert pnr["flight"]["departure_local"] == "2013-05-27T14:30"
    (booking,) = pnr["bookings"]
    assert booking["locator"] == "3PGZOV"
    adult, infant = booking["travellers"]
    assert (adult["surname"], adult["given_names"], adult["type"]) == ("BELT", "ISABELLE", "adult")
    assert infant["type"] == "infant"
    assert infant["date_of_birth"] == "2012-09-20"
    assert infant["documents"][0] == {
        "source": "DOCS",
        "type": "P",
        "number": "512731999",
        "nationality": "GBR",
        "issuer": "GBR",
        "expiry": "2017-10-25",
    }
    assert api["type"] == "PAXLST"
    assert len(api["persons"]) == 2
    assert len(api["legs"]) == 2
    assert all(p["role"] == "passenger" for p in api["persons"])


def test_parse_failure_is_reported_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.xml"
    bad = tmp_path / "bad.edi"
    bad.write_bytes(b"this is not a message at all")
    good.write_bytes(b"<IATA_PNRGOV_NotifRQ><PNRs NumberOfPnrs='0'/></IATA_PNRGOV_NotifRQ>")
    code, out, _ = run(capsys, "parse", "--json", str(bad), str(tmp_path / "missing.edi"))
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["file"] == str(bad)
    assert first["error"]["kind"] == "ParseError"
    assert first["error"]["reason"]
    assert {"offset", "segment", "text"} <= first["error"].keys()
    assert "cannot read" in second["error"]["reason"]


def test_parse_summary_lines(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "parse", str(shared_dir / "samples" / "gtas" / "3_pnrs.edi"))
    assert code == 0
    assert "PNRGOV 11.1" in out
    assert "3 bookings, 13 travellers (1 infants)" in out


def test_generate_writes_a_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "generate", "--seed", "3", "--scale", "0.001", "--out", str(tmp_path))
    assert code == 0
    summary = json.loads(out)
    assert summary == json.loads((tmp_path / "truth" / "summary.json").read_text())
    assert summary["messages"] == len(list((tmp_path / "messages").iterdir()))
    code, _, err = run(capsys, "generate", "--versions", "9.9", "--out", str(tmp_path))
    assert code == 2
    assert "version" in err


@pytest.mark.parametrize("args", [[], ["parse"], ["nonsense"], ["parse", "--bogus", "x"]])
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "usage" in err


def test_demo_reads_samples_and_generated_traffic(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path))
    code, out, _ = run(capsys, "demo", "--shared", str(shared_dir), "--bookings", "30")
    assert code == 0
    assert "0 failed" in out
    assert {p.name for p in (tmp_path / "demo").iterdir()} == {
        "generated_push.edi",
        "generated_push.xml",
        "generated_api.edi",
        "world",
        "openpiu.db",
    }
    assert "traveller occurrences: read" in out
    assert "merged with their booking's traveller" in out
    counts = status(f"sqlite:///{tmp_path / 'demo' / 'openpiu.db'}", clock=SystemClock())
    assert counts["messages"]["received"] == counts["messages"]["stored"] + counts["messages"]["quarantined"]
    assert counts["booking_versions"] > 0
    assert counts["api_persons_merged"] == counts["api_persons"] > 0
    assert "≠" not in out
    assert "gtas/pnrWithBags.txt" in out


def test_db_upgrade_creates_and_keeps_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    for _ in range(2):  # a second run finds nothing to do
        code, _, err = run(capsys, "db", "upgrade")
        assert code == 0
        assert "up to date" in err
    assert (tmp_path / "data" / "openpiu.db").exists()
    code, _, err = run(capsys, "db", "upgrade", "--db", "nosuchdriver://nowhere/x")
    assert code == 1
    assert "cannot upgrade" in err


def test_db_check_counts_rows_pointing_at_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from openpiu.store import schema

    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    code, _, err = run(capsys, "db", "check")
    assert code == 1
    assert "no database" in err
    run(capsys, "db", "upgrade")
    code, out, _ = run(capsys, "db", "check")
    assert code == 0
    assert out.splitlines()[-1] == "every reference resolves"
    assert "identity_keys.booking_id -> bookings" in out
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'openpiu.db'}")
    with engine.begin() as connection:  # the evidence index has no foreign keys on any backend
        connection.execute(
            sa.insert(schema.identity_keys).values(
                kind="phone", digest="0" * 32, booking_id=7, flight_date=date(2026, 11, 29)
            )
        )
    engine.dispose()
    code, out, _ = run(capsys, "db", "check", "--json")
    assert code == 1
    found = json.loads(out)
    assert len(found) == len(schema.REFERENCES_CHECKED_BY_THE_STORE)
    assert {name: rows for name, rows in found.items() if rows} == {"identity_keys.booking_id -> bookings": 1}


def test_database_urls_are_shown_without_passwords() -> None:
    from openpiu.services.database import redact_url

    assert (
        redact_url("postgresql+psycopg://piu:secret@db:5432/piu")
        == "postgresql+psycopg://piu:***@db:5432/piu"
    )
    assert redact_url("sqlite:///data/openpiu.db") == "sqlite:///data/openpiu.db"


def test_the_demo_login_is_new_and_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade_database(url)
    settings = Settings.from_env()
    username, password = demo_account(settings, url)
    assert len(password) >= 12
    accounts = AccountService.open(settings, SystemClock(), url=url)
    try:
        signed = accounts.login(username, password)
        assert signed.actor.role.value == "supervisor"
    finally:
        accounts.close()
