"""Transmissions to competent authorities: only confirmed hits, only to the allow-list, a second person
approves, delivery through a webhook, e-mail or a file drop is recorded (and retried), only what is needed
leaves, and every step and every read is audited.

The receivers are local: an HTTP server and a tiny SMTP server on 127.0.0.1, and a temporary folder.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from openpiu.cli import main
from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import DecisionOutcome, TransmissionState, Traveller, Watchlist, WatchlistEntry
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.authorities import load_authorities
from openpiu.services.review import NoSuchHit, Review
from openpiu.services.transmission import (
    ActionNotAccepted,
    FourEyes,
    NoSuchTransmission,
    NotConfirmed,
    NotInThatState,
    Transmitter,
    UnknownAuthority,
)
from openpiu.settings import Settings, SettingsError
from openpiu.store import Store, TransmissionQuery, open_store, upgrade
from openpiu.synth.corpus import demo_push

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
LIST = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU supervisor")
S = TransmissionState

# --- local receivers -------------------------------------------------------------------------------


@dataclass
class Webhook:
    """An HTTP receiver on 127.0.0.1 that records each POST and answers with the statuses it is given."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order; 200 once used up


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.received.append((dict(self.headers.items()), body))
            status = hook.statuses.pop(0) if hook.statuses else 200
            answer = json.dumps({"reference": f"BP-{len(hook.received)}"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/piu/results"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    mails: ClassVar[list[tuple[str, list[str], bytes]]]

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 receiver.test ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250-receiver.test")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.mails.append((sender, recipients, data))
                self.reply("250 queued as Q1")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[tuple[str, list[str], bytes]]]]:
    mails: list[tuple[str, list[str], bytes]] = []
    handler = type("Handler", (_SmtpHandler,), {"mails": mails})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], mails
    server.shutdown()
    server.server_close()


# --- the world: a stored push, a confirmed hit, the allow-list --------------------------------------


@dataclass
class World:
    store: Store
    clock: FixedClock
    hit_id: int  # confirmed by ana
    other_hit_id: int  # not decided
    traveller: Traveller
    co_travellers: tuple[Traveller, ...]
    drop: Path
    smtp_port: int
    authorities_file: Path
    url: str

    def transmitter(self, **settings: Any) -> Transmitter:
        values = {
            "authorities_file": self.authorities_file,
            "smtp_port": self.smtp_port,
            "smtp_from": "piu@piu.example",
            **settings,
        }
        base = Settings.from_env({"OPENPIU_DATA_DIR": str(self.drop.parent)})
        return Transmitter.from_settings(self.store, replace(base, **values))


def allow_list(webhook_url: str, drop: Path) -> str:
    return f"""\
authorities:
  - id: bpol
    name: Federal Police, border
    legal_basis: Art 6(2)(a) and 6(6) Directive (EU) 2016/681; national PNR act
    channel:
      type: webhook
      url: {webhook_url}
      timeout: 5
    actions: [border_check, discreet_check]
  - id: lka
    name: State Criminal Police
    legal_basis: Art 6(6) Directive (EU) 2016/681
    channel:
      type: email
      address: lka-piu@police.example
    actions: [information, discreet_check]
  - id: customs
    name: Customs investigation
    legal_basis: Art 6(6) Directive (EU) 2016/681
    channel:
      type: file
      folder: {drop}
    actions: [information]
"""


@pytest.fixture
def world(
    tmp_path: Path, webhook: Webhook, smtp: tuple[int, list[tuple[str, list[str], bytes]]]
) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'openpiu.db'}"
    upgrade(url)
    clock = FixedClock(AT)
    store = open_store(url, clock=clock)
    push = demo_push(seed=5, bookings=20)
    family = next(b for b in push.bookings if not b.cancelled and len(b.travellers) >= 3)
    alone = next(b for b in push.bookings if not b.cancelled and len(b.travellers) == 1)
    sought, other = family.travellers[0], alone.travellers[0]
    entries = [
        WatchlistEntry(entry_id=f"E{n}", names=(f"{t.given_names} {t.surname}",))
        for n, t in enumerate((sought, other))
    ]
    store.import_watchlist(LIST, entries, actor="supervisor")
    Ingestor(store, clock, screening=ScreeningStage(store, clock)).ingest(
        write_pnrgov(push), sender="1A", channel="test"
    )
    by_entry = {h.hit.source_id: h for h in store.hits()}
    review = Review(store)
    review.decide("ana", by_entry["E0"].id, DecisionOutcome.CONFIRMED, "name, date of birth and passport")
    drop = tmp_path / "drop"
    drop.mkdir()
    authorities = tmp_path / "authorities.yaml"
    authorities.write_text(allow_list(webhook.url, drop))
    yield World(
        store=store,
        clock=clock,
        hit_id=by_entry["E0"].id,
        other_hit_id=by_entry["E1"].id,
        traveller=sought,
        co_travellers=family.travellers[1:],
        drop=drop,
        smtp_port=smtp[0],
        authorities_file=authorities,
        url=url,
    )
    store.close()


# --- asking ----------------------------------------------------------------------------------------


def test_only_a_confirmed_hit_may_be_transmitted(world: World) -> None:
    tx = world.transmitter()
    with pytest.raises(NotConfirmed, match="not decided"):
        tx.request("ana", world.other_hit_id, "bpol", "border_check", "check")
    Review(world.store).decide("ana", world.other_hit_id, DecisionOutcome.DISMISSED, "other person")
    with pytest.raises(NotConfirmed, match="dismissed"):
        tx.request("ana", world.other_hit_id, "bpol", "border_check", "check")
    with pytest.raises(NoSuchHit):
        tx.request("ana", 10**9, "bpol", "border_check", "check")
    # confirmed, then dismissed: the latest decision holds
    Review(world.store).decide("sam", world.hit_id, DecisionOutcome.DISMISSED, "entry withdrawn")
    with pytest.raises(NotConfirmed):
        tx.request("ana", world.hit_id, "bpol", "border_check", "check")
    assert world.store.transmissions(TransmissionQuery()) == []


def test_only_authorities_on_the_allow_list_and_the_actions_they_accept(world: World) -> None:
    tx = world.transmitter()
    with pytest.raises(UnknownAuthority, match="'interpol' is not on the allow-list"):
        tx.request("ana", world.hit_id, "interpol", "border_check", "check")
    with pytest.raises(ActionNotAccepted, match="border_check, discreet_check"):
        tx.request("ana", world.hit_id, "bpol", "arrest", "check")
    nobody = world.transmitter(authorities_file=None)
    with pytest.raises(UnknownAuthority, match="OPENPIU_AUTHORITIES_FILE"):
        nobody.request("ana", world.hit_id, "bpol", "border_check", "check")
    assert world.store.transmissions(TransmissionQuery()) == []


def test_the_requester_cannot_approve_and_nothing_leaves_before_approval(
    world: World, webhook: Webhook
) -> None:
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "bpol", "border_check", "please check at arrival")
    assert asked.state is S.REQUESTED
    assert (asked.requested_by, asked.requested_at) == ("ana", AT)
    with pytest.raises(FourEyes):
        tx.approve("ana", asked.id, "I am sure")
    with pytest.raises(FourEyes):
        tx.approve("Ana", asked.id, "I am sure")
    assert webhook.received == []
    found = world.store.transmission(asked.id)
    assert found is not None
    assert found.state is S.REQUESTED


# --- sending ---------------------------------------------------------------------------------------


def keys(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        return {k for key, v in value.items() for k in {prefix + key} | keys(v, prefix + key + ".")}
    if isinstance(value, list):
        return {k for item in value for k in keys(item, prefix)}
    return set()


def test_approval_sends_at_once_and_only_what_is_needed(world: World, webhook: Webhook) -> None:
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "bpol", "border_check", "please check at arrival")
    world.clock.advance(timedelta(minutes=7))
    sent = tx.approve("sam", asked.id, "identity and grounds hold")
    assert sent.state is S.SENT
    assert (sent.decided_by, sent.decided_at, sent.sent_at) == (
        "sam",
        AT + timedelta(minutes=7),
        sent.sent_at,
    )
    assert sent.sent_at == AT + timedelta(minutes=7)
    assert (sent.delivery_ref, sent.attempts, sent.error) == ("BP-1", 1, None)

    [(headers, body)] = webhook.received
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Idempotency-Key"] == f"openpiu-transmission-{asked.id}"
    document = json.loads(body)
    traveller = world.traveller
    person = document["person"]
    assert (person["surname"], person["given_names"]) == (traveller.surname, traveller.given_names)
    assert person["date_of_birth"] == (
        traveller.date_of_birth.isoformat() if traveller.date_of_birth else None
    )
    assert {d["number"] for d in person["documents"]} == {d.number for d in traveller.documents if d.number}
    flight = document["flight"]
    hit = world.store.hit(world.hit_id)
    assert hit is not None
    assert hit.hit.flight_id is not None
    stored_flight = world.store.flight(hit.hit.flight_id)
    assert stored_flight is not None
    assert (flight["carrier"], flight["number"], flight["origin"], flight["destination"]) == (
        stored_flight.flight.carrier,
        stored_flight.flight.number,
        stored_flight.flight.origin,
        stored_flight.flight.destination,
    )
    assert flight["date"] == stored_flight.flight_date.isoformat()
    assert flight["departure"]["local"]
    assert document["booking"]["locator"]
    assert document["grounds"] == {"kind": "watchlist", "name": "National list", "category": "terrorism"}
    assert (document["action"], document["note"]) == ("border_check", "please check at arrival")
    assert document["purpose"].startswith("Art 6(2)(a) and 6(6)")
    assert "Art 6(3)(a)" in document["purpose"]  # the list's legal basis

    # nothing more: the fields above, no explanation, score, contacts, payments nor co-travellers
    assert keys(document) == {
        "format", "transmission", "authority", "action", "purpose", "approved_at", "note",
        "person", "person.surname", "person.given_names", "person.date_of_birth", "person.nationality",
        "person.documents", "person.documents.number", "person.documents.type",
        "person.documents.issuing_state",
        "flight", "flight.carrier", "flight.number", "flight.date", "flight.origin", "flight.destination",
        "flight.departure", "flight.departure.local", "flight.departure.airport", "flight.departure.utc",
        "flight.arrival", "flight.arrival.local", "flight.arrival.airport", "flight.arrival.utc",
        "booking", "booking.locator", "grounds", "grounds.kind", "grounds.name", "grounds.category",
    }  # fmt: skip
    text = body.decode()
    for other in world.co_travellers:
        if other.given_names != traveller.given_names:
            assert f'"{other.given_names}"' not in text
        for doc in other.documents:
            assert doc.number is None or doc.number not in text
    assert "score" not in text
    assert "explanation" not in text


def test_a_failed_delivery_is_recorded_and_retried(world: World, webhook: Webhook) -> None:
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "bpol", "discreet_check", "")
    webhook.statuses = [503]
    failed = tx.approve("sam", asked.id, "ok")
    assert failed.state is S.FAILED
    assert failed.attempts == 1
    assert failed.error is not None
    assert "HTTP 503" in failed.error
    assert failed.sent_at is None
    with pytest.raises(NotInThatState):
        tx.approve("kim", asked.id, "ok")
    world.clock.advance(timedelta(minutes=10))
    sent = tx.retry("sam", asked.id)
    assert (sent.state, sent.attempts, sent.delivery_ref) == (S.SENT, 2, "BP-2")
    assert sent.sent_at == AT + timedelta(minutes=10)
    assert len(webhook.received) == 2
    first, second = (json.loads(body) for _headers, body in webhook.received)
    assert first == second  # the same document again: the authority recognises it by its id
    with pytest.raises(NotInThatState, match="nothing to retry"):
        tx.retry("sam", asked.id)
    history = world.store.transmission_history(asked.id)
    assert [e.state for e in history] == [S.REQUESTED, S.APPROVED, S.FAILED, S.APPROVED, S.SENT]


def test_an_unreachable_receiver_is_a_failure(world: World, tmp_path: Path) -> None:
    closed = tmp_path / "closed.yaml"
    text = world.authorities_file.read_text()
    # port 9 (discard) on this machine: nothing listens there, the connection is refused
    closed.write_text(text.replace(text.split("url: ")[1].split("\n")[0], "http://127.0.0.1:9/x"))
    tx = world.transmitter(authorities_file=closed)
    asked = tx.request("ana", world.hit_id, "bpol", "border_check", "")
    failed = tx.approve("sam", asked.id, "ok")
    assert failed.state is S.FAILED
    assert failed.error is not None
    assert "127.0.0.1" in failed.error


def test_rejection_sends_nothing(world: World, webhook: Webhook) -> None:
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "bpol", "border_check", "")
    with pytest.raises(ValueError, match="reason"):
        tx.reject("sam", asked.id, " ")
    rejected = tx.reject("sam", asked.id, "not proportionate for this case")
    assert (rejected.state, rejected.decided_by, rejected.decision_reason) == (
        S.REJECTED,
        "sam",
        "not proportionate for this case",
    )
    with pytest.raises(NotInThatState):
        tx.approve("kim", asked.id, "ok")
    with pytest.raises(NotInThatState):
        tx.retry("kim", asked.id)
    with pytest.raises(NoSuchTransmission):
        tx.reject("sam", 10**9, "no")
    assert webhook.received == []


def test_a_hit_dismissed_before_approval_is_not_sent(world: World, webhook: Webhook) -> None:
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "bpol", "border_check", "")
    Review(world.store).decide("kim", world.hit_id, DecisionOutcome.DISMISSED, "entry withdrawn")
    with pytest.raises(NotConfirmed):
        tx.approve("sam", asked.id, "ok")
    assert webhook.received == []


def test_email_lists_the_content_in_plain_text(
    world: World, smtp: tuple[int, list[tuple[str, list[str], bytes]]]
) -> None:
    _port, mails = smtp
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "lka", "information", "seen on this flight")
    sent = tx.approve("sam", asked.id, "ok")
    assert sent.state is S.SENT, sent.error
    [(sender, recipients, data)] = mails
    assert (sender, recipients) == ("piu@piu.example", ["lka-piu@police.example"])
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == f"PIU transmission {asked.id}: information"
    assert world.traveller.surname not in message["Subject"]  # subjects end up in mail logs
    assert sent.delivery_ref == str(message["Message-ID"]).strip()  # a long header is folded
    part = message.get_body(("plain",))
    assert part is not None
    body = part.get_content()
    assert world.traveller.surname in body
    assert all(d.number in body for d in world.traveller.documents if d.number)
    assert "seen on this flight" in body
    assert "National list" in body


def test_email_refuses_to_go_in_clear_when_starttls_is_required(world: World) -> None:
    tx = world.transmitter(smtp_starttls=True)
    asked = tx.request("ana", world.hit_id, "lka", "information", "")
    failed = tx.approve("sam", asked.id, "ok")
    assert failed.state is S.FAILED
    assert failed.error is not None
    assert "STARTTLS" in failed.error


def test_an_email_authority_needs_a_sender_address(world: World) -> None:
    with pytest.raises(SettingsError, match="OPENPIU_SMTP_FROM"):
        world.transmitter(smtp_from=None)


def test_a_file_drop_is_written_whole(world: World) -> None:
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "customs", "information", "")
    sent = tx.approve("sam", asked.id, "ok")
    assert sent.state is S.SENT
    name = f"openpiu-transmission-{asked.id}.json"
    assert sent.delivery_ref == name
    assert [p.name for p in world.drop.iterdir()] == [name]  # no temporary file left behind
    document = json.loads((world.drop / name).read_text())
    assert document["person"]["surname"] == world.traveller.surname
    assert document["authority"] == "customs"


def test_a_missing_drop_folder_is_a_failure(world: World) -> None:
    world.drop.rmdir()
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "customs", "information", "")
    failed = tx.approve("sam", asked.id, "ok")
    assert failed.state is S.FAILED
    assert failed.error is not None
    assert "does not exist" in failed.error
    world.drop.mkdir()
    assert tx.retry("sam", asked.id).state is S.SENT


def test_a_failed_transmission_of_a_hit_dismissed_since_is_not_retried(world: World) -> None:
    world.drop.rmdir()
    tx = world.transmitter()
    asked = tx.request("ana", world.hit_id, "customs", "information", "")
    assert tx.approve("sam", asked.id, "ok").state is S.FAILED
    world.drop.mkdir()
    Review(world.store).decide("kim", world.hit_id, DecisionOutcome.DISMISSED, "entry withdrawn")
    with pytest.raises(NotConfirmed):
        tx.retry("sam", asked.id)
    assert list(world.drop.iterdir()) == []
    given_up = tx.reject("sam", asked.id, "the hit was dismissed")
    assert given_up.state is S.REJECTED


# --- audit -----------------------------------------------------------------------------------------


def test_every_step_and_every_read_is_audited(world: World) -> None:
    tx = world.transmitter()
    sent = tx.request("ana", world.hit_id, "bpol", "border_check", "")
    world.clock.advance(timedelta(minutes=1))
    tx.approve("sam", sent.id, "ok")
    refused = tx.request("ana", world.hit_id, "customs", "information", "")
    tx.reject("sam", refused.id, "the border check is enough")
    before = len(world.store.events(limit=10_000))
    detail = tx.detail("dpo", sent.id)
    assert detail.transmission.state is S.SENT
    assert [e.state for e in detail.history] == [S.REQUESTED, S.APPROVED, S.SENT]
    assert detail.authority is not None
    assert detail.authority.name == "Federal Police, border"
    listed = tx.list("dpo", TransmissionQuery(state=S.SENT))
    assert [t.id for t in listed] == [sent.id]
    with pytest.raises(ValueError, match="1 to"):
        tx.list("dpo", TransmissionQuery(limit=0))
    with pytest.raises(NoSuchTransmission):
        tx.detail("dpo", 10**9)

    events = world.store.events(limit=10_000)
    steps = [(e.action, e.actor, e.at) for e in events if e.action.startswith("transmission.")]
    assert steps[:4] == [
        ("transmission.requested", "ana", AT),
        ("transmission.approved", "sam", AT + timedelta(minutes=1)),
        ("transmission.sent", "sam", AT + timedelta(minutes=1)),
        ("transmission.requested", "ana", AT + timedelta(minutes=1)),
    ]
    assert steps[4][:2] == ("transmission.rejected", "sam")
    reads = [(e.action, e.actor, e.subject) for e in events[before:]]
    assert reads == [
        ("transmission.read", "dpo", f"transmission:{sent.id}"),
        ("transmissions.read", "dpo", "transmissions"),
    ]
    assert world.traveller.surname not in repr(events)  # the log names ids, never the content
    assert world.store.verify().ok


# --- the operators' listing ------------------------------------------------------------------------


def test_the_cli_lists_transmissions_without_personal_data(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = world.transmitter()
    sent = tx.request(
        "ana", world.hit_id, "bpol", "border_check", "note with a name: " + world.traveller.surname
    )
    tx.approve("sam", sent.id, "ok")
    waiting = tx.request("ana", world.hit_id, "customs", "information", "")
    monkeypatch.setenv("OPENPIU_DATABASE_URL", world.url)
    monkeypatch.setenv("OPENPIU_AUTHORITIES_FILE", str(world.authorities_file))

    assert main(["transmission", "list", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(t["id"], t["state"], t["authority"]) for t in lines] == [
        (waiting.id, "requested", "customs"),
        (sent.id, "sent", "bpol"),
    ]
    assert set(lines[1]) == {
        "id", "hit", "authority", "action", "state", "flight_date", "requested_at", "decided_at",
        "sent_at", "attempts", "last_attempt_at",
    }  # fmt: skip
    assert main(["transmission", "list", "--state", "sent"]) == 0
    out = capsys.readouterr().out
    assert f"{sent.id}\t" in out
    assert "customs" not in out
    assert world.traveller.surname not in out
    assert "ana" not in out

    assert main(["transmission", "authorities"]) == 0
    assert "bpol\twebhook\tborder_check,discreet_check" in capsys.readouterr().out
    assert main(["transmission", "list", "--state", "bogus"]) == 2


def test_the_allow_list_fixture_is_valid(world: World) -> None:
    listed = load_authorities(world.authorities_file)
    assert [a.id for a in listed] == ["bpol", "lka", "customs"]
