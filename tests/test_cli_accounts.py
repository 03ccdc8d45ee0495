"""`openpiu user` and `openpiu audit verify`, end to end through the command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from openpiu.cli import main
from openpiu.clock import SystemClock
from openpiu.services.accounts import AccountService, LoginRefused
from openpiu.settings import Settings
from openpiu.store import create_engine

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPENPIU_DATABASE_URL", raising=False)
    return f"sqlite:///{tmp_path}/data/openpiu.db"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def add(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: str, name: str, role: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return run(capsys, "user", "add", name, "--role", role, "--password-stdin", "--db", db)


def test_the_first_administrator_on_a_new_database(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = add(monkeypatch, capsys, db, "Admin", "administrator")
    assert code == 0, err
    assert "user admin added with the role administrator" in err
    assert PASSWORD not in err
    code, out, _ = run(capsys, "user", "list", "--json", "--db", db)
    assert code == 0
    [user] = [json.loads(line) for line in out.splitlines()]
    assert (user["username"], user["role"], user["disabled"]) == ("admin", "administrator", False)
    assert "password" not in json.dumps(user)
    settings = Settings.from_env()
    with AccountService.open(settings, SystemClock(), url=db) as accounts:
        assert accounts.login("admin", PASSWORD).actor.username == "admin"


def test_a_password_typed_twice(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter([PASSWORD, PASSWORD, PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(typed))
    assert run(capsys, "user", "add", "alice", "--role", "analyst", "--db", db)[0] == 0
    code, _, err = run(capsys, "user", "add", "bob", "--role", "analyst", "--db", db)
    assert code == 2
    assert "differ" in err
    code, out, _ = run(capsys, "user", "list", "--db", db)
    assert "alice" in out
    assert "bob" not in out


REFUSALS = [
    (["user", "add", "bob", "--role", "analyst"], "short\n", 2, "at least 12 characters"),
    (["user", "add", "bob", "--role", "king"], PASSWORD + "\n", 2, "unknown role"),
    (["user", "add", "b b", "--role", "analyst"], PASSWORD + "\n", 2, "a user name has"),
    (["user", "disable", "nobody"], "", 1, "no user nobody"),
    (["user", "set-role", "nobody", "dpo"], "", 1, "no user nobody"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[" ".join(c[0]) for c in REFUSALS])
def test_refusals(
    db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[list[str], str, int, str],
) -> None:
    args, stdin, code, message = case
    add(monkeypatch, capsys, db, "admin", "administrator")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    extra = ["--password-stdin"] if args[1] == "add" else []
    got, _, err = run(capsys, *args, *extra, "--db", db)
    assert (got, message in err) == (code, True), err


def test_disable_and_set_role(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add(monkeypatch, capsys, db, "alice", "analyst")
    add(monkeypatch, capsys, db, "bob", "analyst")
    assert run(capsys, "user", "set-role", "alice", "supervisor", "--db", db)[0] == 0
    assert run(capsys, "user", "disable", "bob", "--db", db)[0] == 0
    _, out, _ = run(capsys, "user", "list", "--db", db)
    alice, bob = out.splitlines()
    assert alice.split()[:3] == ["alice", "supervisor", "active"]
    assert bob.split()[:3] == ["bob", "analyst", "disabled"]
    with (
        AccountService.open(Settings.from_env(), SystemClock(), url=db) as accounts,
        pytest.raises(LoginRefused),
    ):
        accounts.login("bob", PASSWORD)


def test_audit_verify_detects_a_tampered_row(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add(monkeypatch, capsys, db, "alice", "analyst")
    add(monkeypatch, capsys, db, "bob", "analyst")
    run(capsys, "user", "set-role", "alice", "dpo", "--db", db)
    code, out, _ = run(capsys, "audit", "verify", "--db", db)
    assert code == 0
    assert "intact: 3 events" in out

    engine = create_engine(db)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET subject = 'user carol' WHERE seq = 2"))
    engine.dispose()
    code, out, _ = run(capsys, "audit", "verify", "--db", db)
    assert code == 1
    assert "BROKEN at event 2" in out
    assert "changed" in out
    assert "first broken event: #2" in out
    assert "user carol" in out


def test_audit_verify_without_a_database(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit", "verify", "--db", db)
    assert code == 1
    assert "no database" in err
