"""The carriers' HTTP push endpoint, their credentials, and the `openpiu serve` / `openpiu carrier` commands.

A carrier pushes generated messages (never real personal data) with HTTP Basic credentials; what it gets
back (202, 401, 400, 413, 422, 503) and what the inbox holds afterwards are checked together: a refused
push writes nothing, an unreadable one is kept quarantined with a reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.services.carriers import (
    CarrierExists,
    CarrierFileError,
    CarrierRegistry,
    InvalidCarrierName,
    UnknownCarrier,
    add_carrier,
    disable_carrier,
    list_carriers,
)
from openpiu.settings import Settings
from openpiu.store import InboxMessage, MessageState, open_store, upgrade
from openpiu.synth.corpus import write_demo_files
from openpiu.web.app import create_app

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
PUSH = "/api/v1/push"
KEY = "42" * 32
NOT_A_MESSAGE = b"this is not a PNRGOV or PAXLST message at all"


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Generated messages: PNRGOV EDIFACT, PNRGOV XML and PAXLST of one small push."""
    files = write_demo_files(tmp_path_factory.mktemp("demo"), seed=5, bookings=4)
    return {path.name: path.read_bytes() for path in files}


@pytest.fixture
def edifact(messages: dict[str, bytes]) -> bytes:
    return messages["generated_push.edi"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path / "data"), "OPENPIU_CARD_HASH_KEY": KEY})
    upgrade(settings.database_url)
    return settings


@pytest.fixture
def token(settings: Settings) -> str:
    return add_carrier(settings.carriers_path, "LH")


def serve(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, FixedClock(AT)))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with serve(settings) as client:
        yield client


def inbox(settings: Settings) -> list[InboxMessage]:
    """Every message in the inbox, whatever its state."""
    store = open_store(settings.database_url, clock=FixedClock(AT))
    try:
        return sorted(
            (m for state in MessageState for m in store.messages(state, limit=1000)), key=lambda m: m.id
        )
    finally:
        store.close()


# --- pushing -------------------------------------------------------------------------------------------


def test_a_good_push_is_accepted_and_stored(
    client: TestClient, settings: Settings, token: str, edifact: bytes
) -> None:
    response = client.post(
        PUSH, content=edifact, auth=("LH", token), headers={"Content-Type": "application/edifact"}
    )
    assert response.status_code == 202, response.text
    receipt = response.json()
    (message,) = inbox(settings)
    assert receipt["receipt"] == f"M-{message.id}"
    assert receipt["carrier"] == "LH"
    assert receipt["accepted"] is True
    # stored, then screened (against no list yet): the push is done
    expected = {"id": message.id, "state": "screened", "duplicate": False, "reason": None}
    assert receipt["messages"] == [expected]
    assert receipt["counts"]["stored"] == 1
    assert receipt["counts"]["bookings"] >= 1
    assert (message.state, message.sender, message.channel) == (MessageState.SCREENED, "LH", "http")


def test_the_same_bytes_again_are_a_duplicate_with_the_same_receipt(
    client: TestClient, settings: Settings, token: str, edifact: bytes
) -> None:
    first = client.post(PUSH, content=edifact, auth=("LH", token)).json()
    again = client.post(PUSH, content=edifact, auth=("lh", token))  # names are case-insensitive
    assert again.status_code == 202
    receipt = again.json()
    assert receipt["receipt"] == first["receipt"]
    assert [(m["state"], m["duplicate"]) for m in receipt["messages"]] == [("screened", True)]
    assert receipt["counts"]["duplicates"] == 1
    (message,) = inbox(settings)
    assert message.deliveries == 2


@pytest.mark.parametrize(
    "case",
    [
        ("generated_push.xml", "application/xml", "screened"),
        ("generated_api.edi", "text/plain", "screened"),  # PAXLST: stored as API data, then done
    ],
    ids=["pnrgov-xml", "paxlst"],
)
def test_xml_and_paxlst_pushes_are_kept(
    client: TestClient, settings: Settings, token: str, messages: dict[str, bytes], case: tuple[str, str, str]
) -> None:
    name, content_type, state = case
    response = client.post(
        PUSH, content=messages[name], auth=("LH", token), headers={"Content-Type": content_type}
    )
    assert response.status_code == 202, response.text
    assert {m["state"] for m in response.json()["messages"]} == {state}
    assert {m.state.value for m in inbox(settings)} == {state}


def test_an_unreadable_message_is_422_and_kept_quarantined_with_the_reason(
    client: TestClient, settings: Settings, token: str
) -> None:
    response = client.post(
        PUSH, content=NOT_A_MESSAGE, auth=("LH", token), headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 422
    receipt = response.json()
    assert receipt["accepted"] is False
    (entry,) = receipt["messages"]
    assert entry["state"] == "quarantined"
    assert entry["reason"]
    assert "PNRGOV or PAXLST message at all" not in entry["reason"]  # the reason quotes no content
    (message,) = inbox(settings)
    assert (message.id, message.state, message.reason) == (
        entry["id"],
        MessageState.QUARANTINED,
        entry["reason"],
    )


@pytest.mark.parametrize(
    "case",
    [
        "no credentials",
        "wrong token",
        "another carrier's token",
        "unknown carrier",
        "disabled carrier",
        "not a carrier name",
        "bearer instead of basic",
        "broken basic header",
    ],
)
def test_a_push_without_valid_credentials_is_401_and_writes_nothing(
    client: TestClient, settings: Settings, token: str, edifact: bytes, case: str
) -> None:
    other = add_carrier(settings.carriers_path, "KL")
    disabled = add_carrier(settings.carriers_path, "AF")
    disable_carrier(settings.carriers_path, "AF")
    request: dict[str, dict[str, object]] = {
        "no credentials": {},
        "wrong token": {"auth": ("LH", token + "x")},
        "another carrier's token": {"auth": ("LH", other)},
        "unknown carrier": {"auth": ("ZZ", token)},
        "disabled carrier": {"auth": ("AF", disabled)},
        "not a carrier name": {"auth": ("L H!", token)},
        "bearer instead of basic": {"headers": {"Authorization": f"Bearer {token}"}},
        "broken basic header": {"headers": {"Authorization": "Basic %%%"}},
    }
    response = client.post(PUSH, content=edifact, **request[case])  # type: ignore[arg-type]
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert inbox(settings) == []


def test_a_disabled_carrier_is_refused_at_once_without_a_restart(
    client: TestClient, settings: Settings, token: str, edifact: bytes, messages: dict[str, bytes]
) -> None:
    assert client.post(PUSH, content=edifact, auth=("LH", token)).status_code == 202
    disable_carrier(settings.carriers_path, "LH")
    response = client.post(PUSH, content=messages["generated_api.edi"], auth=("LH", token))
    assert response.status_code == 401
    assert len(inbox(settings)) == 1
    # added again: a new token works, the old one never again
    new_token = add_carrier(settings.carriers_path, "LH")
    assert client.post(PUSH, content=messages["generated_api.edi"], auth=("LH", token)).status_code == 401
    assert client.post(PUSH, content=messages["generated_api.edi"], auth=("LH", new_token)).status_code == 202


def test_a_carrier_added_while_serving_can_push(
    client: TestClient, settings: Settings, edifact: bytes
) -> None:
    assert client.post(PUSH, content=edifact, auth=("LH", "nothing yet")).status_code == 401  # no file
    token = add_carrier(settings.carriers_path, "LH")
    assert client.post(PUSH, content=edifact, auth=("LH", token)).status_code == 202


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_and_writes_nothing(
    settings: Settings, token: str, edifact: bytes, chunked: bool
) -> None:
    small = dataclasses.replace(settings, max_push_bytes=1000)
    assert len(edifact) > small.max_push_bytes
    with serve(small) as client:
        if chunked:
            pieces = [edifact[i : i + 300] for i in range(0, len(edifact), 300)]
            response = client.post(PUSH, content=iter(pieces), auth=("LH", token))
        else:
            response = client.post(PUSH, content=edifact, auth=("LH", token))
        assert response.status_code == 413
        assert response.json()["error"] == "too_large"
        assert "1000 bytes" in response.json()["detail"]
        # under the limit, the same server takes it
        assert client.post(PUSH, content=NOT_A_MESSAGE, auth=("LH", token)).status_code == 422
    assert len(inbox(settings)) == 1


def test_a_chunked_body_under_the_limit_is_received(
    client: TestClient, settings: Settings, token: str, edifact: bytes
) -> None:
    pieces = [edifact[i : i + 500] for i in range(0, len(edifact), 500)]
    response = client.post(PUSH, content=iter(pieces), auth=("LH", token))
    assert response.status_code == 202
    assert [m.state for m in inbox(settings)] == [MessageState.SCREENED]


def test_an_empty_body_is_400(client: TestClient, settings: Settings, token: str) -> None:
    response = client.post(PUSH, content=b"", auth=("LH", token))
    assert response.status_code == 400
    assert response.json()["error"] == "empty_body"
    assert inbox(settings) == []


def test_a_failing_database_is_503_and_health_says_so(
    client: TestClient, token: str, edifact: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    store = client.app.state.receiver._store  # type: ignore[attr-defined]

    def fail(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(store, "receive", fail)
    monkeypatch.setattr(store, "message", fail)
    response = client.post(PUSH, content=edifact, auth=("LH", token))
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert "again later" in response.json()["detail"]
    assert response.headers["Retry-After"]
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"


def test_an_unreadable_credentials_file_is_503_not_a_way_in(
    client: TestClient, settings: Settings, token: str, edifact: bytes
) -> None:
    settings.carriers_path.write_text("{ not json")
    response = client.post(PUSH, content=edifact, auth=("LH", token))
    assert response.status_code == 503
    assert inbox(settings) == []


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_the_push_path_are_refused_not_500(client: TestClient, method: str) -> None:
    assert client.request(method, PUSH).status_code in (401, 405)


def test_openapi_documents_the_push(client: TestClient) -> None:
    push = client.app.openapi()["paths"][PUSH]["post"]  # the document itself is for signed-in operators
    assert {"202", "400", "401", "413", "422", "503"} <= push["responses"].keys()
    assert {"application/edifact", "application/xml", "text/plain", "application/octet-stream"} <= push[
        "requestBody"
    ]["content"].keys()
    assert push["security"] == [{"HTTPBasic": []}]


# --- carrier credentials -------------------------------------------------------------------------------


def test_the_file_keeps_a_hash_not_the_token_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "carriers.json"
    token = add_carrier(path, "lh", clock=FixedClock(AT))
    assert len(token) >= 43
    text = path.read_text()
    assert token not in text
    entry = json.loads(text)["carriers"]["LH"]
    assert entry["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert entry["created_at"] == AT.isoformat()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_an_active_name_is_refused_and_a_disabled_one_gets_a_new_token(tmp_path: Path) -> None:
    path = tmp_path / "carriers.json"
    registry = CarrierRegistry(path)
    old = add_carrier(path, "LH")
    with pytest.raises(CarrierExists, match="disable it"):
        add_carrier(path, "lh")
    assert registry.authenticate("LH", old)
    disable_carrier(path, "LH")
    disable_carrier(path, "LH")  # again: nothing changes
    assert not registry.authenticate("LH", old)
    new = add_carrier(path, "LH")
    assert not registry.authenticate("LH", old)
    assert registry.authenticate("lh", new)
    assert [c.name for c in list_carriers(path)] == ["LH"]


def test_the_registry_checks_tokens(tmp_path: Path) -> None:
    path = tmp_path / "carriers.json"
    registry = CarrierRegistry(path)
    assert not registry.authenticate("LH", "anything")  # no file: nobody
    lh = add_carrier(path, "LH")
    router = add_carrier(path, "SITA-PNR_1")
    assert registry.authenticate("LH", lh)
    assert registry.authenticate("sita-pnr_1", router)
    assert not registry.authenticate("LH", router)
    assert not registry.authenticate("ZZ", lh)
    assert not registry.authenticate("", lh)
    assert not registry.authenticate("LH", "")


def test_list_shows_names_and_states_never_hashes(tmp_path: Path) -> None:
    path = tmp_path / "carriers.json"
    assert list_carriers(path) == []
    add_carrier(path, "LH", clock=FixedClock(AT))
    add_carrier(path, "AF", clock=FixedClock(AT))
    disable_carrier(path, "AF", clock=FixedClock(AT))
    listed = [c.to_dict() for c in list_carriers(path)]
    assert listed == [
        {"name": "AF", "created_at": AT.isoformat(), "disabled": True, "disabled_at": AT.isoformat()},
        {"name": "LH", "created_at": AT.isoformat(), "disabled": False, "disabled_at": None},
    ]


@pytest.mark.parametrize("name", ["L", "A" * 36, "L H", "LH!", "ÄB", "", "LH/../X"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidCarrierName, match="2 to 35 characters"):
        add_carrier(tmp_path / "carriers.json", name)
    assert not (tmp_path / "carriers.json").exists()


def test_disabling_an_unknown_carrier_says_so(tmp_path: Path) -> None:
    with pytest.raises(UnknownCarrier, match="no carrier ZZ"):
        disable_carrier(tmp_path / "carriers.json", "zz")


@pytest.mark.parametrize(
    "content",
    ["{ not json", "[]", '{"version": 2, "carriers": {}}', '{"version": 1, "carriers": {"LH": {}}}'],
)
def test_a_broken_file_is_an_error_not_an_empty_list(tmp_path: Path, content: str) -> None:
    path = tmp_path / "carriers.json"
    path.write_text(content)
    with pytest.raises(CarrierFileError, match=str(path)):
        list_carriers(path)
    with pytest.raises(CarrierFileError):
        add_carrier(path, "LH")
    with pytest.raises(CarrierFileError):
        CarrierRegistry(path).authenticate("LH", "token")


# --- the command line ----------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENPIU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPENPIU_CARRIERS_FILE", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_carrier_commands(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "carrier", "add", "lh")
    assert code == 0
    token = out.strip()
    assert len(token) >= 43
    assert "only this once" in " ".join(err.split())
    assert CarrierRegistry(data_dir / "carriers.json").authenticate("LH", token)

    assert run(capsys, "carrier", "add", "LH")[0] == 1  # active already
    assert run(capsys, "carrier", "add", "L")[0] == 2  # not a name
    assert run(capsys, "carrier", "disable", "ZZ")[0] == 1  # unknown

    code, out, _ = run(capsys, "carrier", "list")
    assert code == 0
    assert out.split()[0] == "LH"
    assert "active" in out
    assert token not in out

    assert run(capsys, "carrier", "disable", "LH")[0] == 0
    code, out, _ = run(capsys, "carrier", "list", "--json")
    assert code == 0
    (entry,) = json.loads(out)
    assert (entry["name"], entry["disabled"]) == ("LH", True)
    assert "token_sha256" not in entry


def test_carrier_commands_usage(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "carrier")[0] == 2
    assert run(capsys, "carrier", "list")[0] == 0  # no file yet: none
    (data_dir / "carriers.json").write_text("{ not json")
    code, _, err = run(capsys, "carrier", "list")
    assert code == 1
    assert "not valid JSON" in err
    assert run(capsys, "serve", "--port", "70000")[0] == 2
    assert run(capsys, "serve", "--workers", "0")[0] == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("workers", [1, 2])
def test_openpiu_serve_receives_a_push_over_real_http(tmp_path: Path, edifact: bytes, workers: int) -> None:
    """One server process, or several (any of them may take the push)."""
    data = tmp_path / "data"
    token = add_carrier(data / "carriers.json", "LH")
    url = f"sqlite:///{tmp_path / 'db' / 'serve.db'}"  # does not exist yet: serve creates it
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENPIU_")}
    env |= {"OPENPIU_DATA_DIR": str(data), "OPENPIU_CARD_HASH_KEY": KEY, "OPENPIU_LOG_LEVEL": "WARNING"}
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "openpiu.cli", "serve", "--port", str(port), "--db", url]
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, f"openpiu serve exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"openpiu serve did not answer:\n{log.read_text()}"
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            response = httpx.post(
                f"{base}{PUSH}",
                content=edifact,
                auth=("LH", token),
                headers={"Content-Type": "application/edifact"},
                timeout=30,
            )
            assert response.status_code == 202, response.text
            (message,) = response.json()["messages"]
            assert message["state"] == "screened"
            refused = httpx.post(f"{base}{PUSH}", content=edifact, auth=("LH", "wrong"), timeout=30)
            assert refused.status_code == 401
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    store = open_store(url, clock=FixedClock(AT))
    try:
        stored = store.message(message["id"])
    finally:
        store.close()
    assert stored is not None
    assert (stored.state, stored.sender, stored.channel, stored.deliveries) == (
        MessageState.SCREENED,
        "LH",
        "http",
        1,
    )
    assert token not in log.read_text()
