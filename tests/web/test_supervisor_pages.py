"""The supervisors' and operators' screens through the application: criteria (active ones flagged for
review, drafts linted, back-tested per day, approved by a second supervisor, deactivated with a reason),
watchlists (every version; import of an upload, bad files refused with their line) and operations
(inbox counts, messages by state, the quarantine and its retry, carriers' pushes); roles, CSRF and bad
input refused; every change in the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from test_security import AT, CHEAP, PASSWORD, Site, _settings, form_token, login

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PnrPush
from openpiu.model.access import Role
from openpiu.pipeline import Ingestor
from openpiu.store import CriterionSpec, open_store, upgrade
from openpiu.synth.corpus import demo_push
from openpiu.web.app import create_app

SECOND = "supervisor2"
OLD = """- id: C-OLD
  title: An old criterion
  owner: PIU targeting team
  purpose: terrorism
  version: 3
  approval: {approved_by: head of PIU, approved_on: 2026-01-10}
  review_date: 2026-10-01
  expires_on: 2026-12-15
  condition:
    all:
      - {feature: route, matches: '*-FRA-*'}
      - {feature: one_way, is: true}
"""


def criterion(carrier: str, *, version: str = "1", extra: str = "") -> str:
    return f"""- id: C-LATE
  title: Travellers of one carrier, for the test
  owner: PIU targeting team
  purpose: annex2-04
  version: {version}
  approval: null
  review_date: 2027-03-01
  expires_on: 2027-06-01
  rationale: a test criterion that takes in every traveller of the carrier
  condition:
    all:
      - {{feature: carrier, is: {carrier}}}
      - {{feature: group_size, at_least: 1}}{extra}
"""


class Data:
    def __init__(self, site: Site, push: PnrPush, quarantined: int) -> None:
        self.site, self.push, self.quarantined = site, push, quarantined

    def client(self, username: str) -> TestClient:
        client = self.site.client()
        assert login(client, username).status_code == 303
        return client

    @property
    def carrier(self) -> str:
        assert self.push.flight is not None
        return self.push.flight.carrier

    @property
    def day(self) -> date:
        assert self.push.flight is not None
        assert self.push.flight.departure is not None
        return self.push.flight.departure.local.date()

    def actions(self) -> list[tuple[str, str]]:
        return [(e.action, e.actor) for e in self.site.events()]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Data]:
    folder = tmp_path_factory.mktemp("supervisors")
    settings = _settings(folder / "data")
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    store = open_store(settings.database_url, clock=clock)
    push = demo_push(seed=5, bookings=12)
    ingestor = Ingestor(store, clock)
    ingestor.ingest(write_pnrgov(push), sender="1A", channel="test")
    broken = ingestor.ingest(b"this is not a message", sender="LH", channel="test")
    # An active criterion whose review is overdue and which expires soon, as a PIU finds them.
    store.activate_criterion(
        CriterionSpec(
            criterion_id="C-OLD",
            version="3",
            title="An old criterion",
            owner="PIU targeting team",
            purpose="terrorism",
            source=OLD,
            approved_by="head of PIU",
            approved_on=date(2026, 1, 10),
            review_date=date(2026, 10, 1),
            expires_on=date(2026, 12, 15),
        ),
        actor="cli:test",
    )
    store.close()
    app = create_app(settings, clock, hashing=CHEAP)
    with TestClient(app, base_url="https://testserver"):
        site = Site(app, settings, clock)
        for role in Role:
            site.accounts.add_user(role.value, role, PASSWORD, actor="cli:test")
        site.accounts.add_user(SECOND, Role.SUPERVISOR, PASSWORD, actor="cli:test")
        yield Data(site, push, broken.message_ids[0])


def saved_draft(client: TestClient, text: str) -> int:
    editor = client.get("/criteria/drafts/new")
    assert editor.status_code == 200
    made = client.post("/criteria/drafts", data={"text": text, "csrf_token": form_token(editor.text)})
    assert made.status_code == 303, made.text
    found = re.fullmatch(r"/criteria/drafts/(\d+)", made.headers["location"])
    assert found
    return int(found.group(1))


# --- criteria ----------------------------------------------------------------------------------------


def test_the_active_criteria_are_listed_with_their_review_and_expiry(data: Data) -> None:
    for role in (Role.ANALYST, Role.DPO, Role.AUTHORITY):
        page = data.client(role.value).get("/criteria")
        assert page.status_code == 200
        assert "C-OLD" in page.text
        assert "review overdue since 2026-10-01" in page.text
        assert "expires in 16 days" in page.text
        assert 'class="attention"' in page.text
        assert "Deactivate" not in page.text  # reading only
        assert "Write a draft" not in page.text
    for role in (Role.OPERATOR, Role.ADMINISTRATOR):
        assert data.client(role.value).get("/criteria").status_code == 403
    supervisor = data.client(Role.SUPERVISOR.value).get("/criteria").text
    assert "Deactivate" in supervisor
    assert "Write a draft" in supervisor
    assert 'href="/criteria"' in supervisor  # in the navigation


def test_a_draft_is_linted_backtested_and_approved_by_a_second_supervisor(data: Data) -> None:
    author = data.client(Role.SUPERVISOR.value)
    draft_id = saved_draft(author, criterion(data.carrier))
    page = author.get(f"/criteria/drafts/{draft_id}")
    assert page.status_code == 200
    assert "No errors" in page.text
    assert "warning" in page.text  # a carrier alone is not targeted: shown, not refused
    assert "it was not back-tested" in page.text
    assert "you wrote it" in page.text

    second = data.client(SECOND)
    token = form_token(second.get(f"/criteria/drafts/{draft_id}").text)
    early = second.post(f"/criteria/drafts/{draft_id}/approve", data={"csrf_token": token})
    assert early.status_code == 422
    assert "not back-tested" in early.text

    day = data.day.isoformat()
    tested = author.post(
        f"/criteria/drafts/{draft_id}/backtest",
        data={"from_date": day, "to_date": day, "csrf_token": form_token(page.text)},
    )
    assert tested.status_code == 200, tested.text
    assert "Travellers flagged" in tested.text
    flagged = re.search(r"C-LATE v1: (\d+) travellers flagged", tested.text)
    assert flagged
    assert int(flagged.group(1)) > 0
    assert f"<td>{day}</td>" in tested.text  # per flight date
    assert "First travellers flagged" in tested.text  # the sample, shown once
    assert ("criteria.backtested", SECOND) not in data.actions()
    assert ("criteria.backtested", Role.SUPERVISOR.value) in data.actions()
    kept = author.get(f"/criteria/drafts/{draft_id}").text
    assert "Kept back-test" in kept
    assert "First travellers flagged" not in kept  # only counts are kept with the draft

    own = author.post(f"/criteria/drafts/{draft_id}/approve", data={"csrf_token": form_token(kept)})
    assert own.status_code == 422
    assert "four eyes" in own.text
    assert data.client(Role.ANALYST.value).post(f"/criteria/drafts/{draft_id}/approve").status_code == 403
    assert second.post(f"/criteria/drafts/{draft_id}/approve").status_code == 403  # no CSRF token
    approved = second.post(f"/criteria/drafts/{draft_id}/approve", data={"csrf_token": token})
    assert approved.status_code == 303
    after = second.get(f"/criteria/drafts/{draft_id}").text
    assert f"Approved by <strong>{SECOND}</strong>" in after
    listed = second.get("/criteria").text
    assert "C-LATE</strong> v1" in listed
    assert f"{SECOND}<br>{AT.date().isoformat()}" in listed
    actions = data.actions()
    assert ("criteria.draft.saved", Role.SUPERVISOR.value) in actions
    assert ("criteria.draft.approved", SECOND) in actions
    assert ("criterion.activated", SECOND) in actions

    again = second.post(f"/criteria/drafts/{draft_id}/approve", data={"csrf_token": token})
    assert again.status_code == 422
    retest = author.post(
        f"/criteria/drafts/{draft_id}/backtest",
        data={"from_date": day, "to_date": day, "csrf_token": form_token(kept)},
    )
    assert retest.status_code == 422  # an approved text is revised, not back-tested again


def test_a_new_version_starts_from_the_active_text_without_its_approval(data: Data) -> None:
    client = data.client(Role.SUPERVISOR.value)
    page = client.get("/criteria/drafts/new?revise=C-OLD")
    assert page.status_code == 200
    assert "version: &#39;3&#39;" in page.text or "version: '3'" in page.text
    assert "approval: null" in page.text  # the new version is approved again, by a second supervisor
    assert "head of PIU" not in page.text
    assert client.get("/criteria/drafts/new?revise=C-NONE").status_code == 404
    draft_id = saved_draft(client, criterion(data.carrier))
    revised = client.get(f"/criteria/drafts/new?based_on={draft_id}")
    assert revised.status_code == 200
    assert "C-LATE" in revised.text
    assert f'name="based_on" value="{draft_id}"' in revised.text
    assert client.get("/criteria/drafts/new?based_on=999999").status_code == 404


def test_drafts_with_errors_are_kept_and_refused(data: Data) -> None:
    client = data.client(Role.SUPERVISOR.value)
    meal = criterion(data.carrier, version="9", extra="\n      - {feature: nationality, in: [MOML]}")
    draft_id = saved_draft(client, meal)
    page = client.get(f"/criteria/drafts/{draft_id}")
    assert "errors" in page.text
    assert "religion" in page.text or "sensitive" in page.text
    day = data.day.isoformat()
    refused = client.post(
        f"/criteria/drafts/{draft_id}/backtest",
        data={"from_date": day, "to_date": day, "csrf_token": form_token(page.text)},
    )
    assert refused.status_code == 422
    assert "nothing to back-test" in refused.text

    broken = saved_draft(client, "- id: C-X\n  title: [unclosed\n")
    unreadable = client.get(f"/criteria/drafts/{broken}")
    assert "line" in unreadable.text
    assert "the text cannot be read" in unreadable.text

    signed = saved_draft(
        client,
        criterion(data.carrier, version="5").replace(
            "approval: null", "approval: {approved_by: me, approved_on: 2026-11-01}"
        ),
    )
    self_approved = client.get(f"/criteria/drafts/{signed}")
    assert "a draft carries no approval" in self_approved.text

    token = form_token(page.text)
    empty = client.post("/criteria/drafts", data={"text": "   ", "csrf_token": token})
    assert empty.status_code == 422
    assert "empty" in empty.text
    bad_range = client.post(
        f"/criteria/drafts/{broken}/backtest", data={"from_date": "x", "to_date": day, "csrf_token": token}
    )
    assert bad_range.status_code == 422
    backwards = saved_draft(client, criterion(data.carrier, version="6"))
    reversed_range = client.post(
        f"/criteria/drafts/{backwards}/backtest",
        data={"from_date": "2025-12-01", "to_date": "2025-11-01", "csrf_token": token},
    )
    assert reversed_range.status_code == 422
    assert "before it starts" in reversed_range.text
    assert client.post("/criteria/drafts", data={"text": criterion("LH")}).status_code == 403  # no CSRF
    analyst = data.client(Role.ANALYST.value)
    assert analyst.get("/criteria/drafts/new").status_code == 403
    assert analyst.get(f"/criteria/drafts/{draft_id}").status_code == 200  # criteria.read
    assert client.get("/criteria/drafts/999999").status_code == 404


def test_a_criterion_is_deactivated_with_a_reason(data: Data) -> None:
    client = data.client(Role.SUPERVISOR.value)
    token = form_token(client.get("/criteria").text)
    no_reason = client.post("/criteria/C-OLD/deactivate", data={"reason": " ", "csrf_token": token})
    assert no_reason.status_code == 422
    assert "say why" in no_reason.text
    assert data.client(Role.ANALYST.value).post("/criteria/C-OLD/deactivate").status_code == 403
    done = client.post(
        "/criteria/C-OLD/deactivate",
        data={"reason": "the review found no confirmed hit", "csrf_token": token},
    )
    assert done.status_code == 303
    assert "C-OLD" not in client.get("/criteria").text
    [event] = [e for e in data.site.events() if e.action == "criterion.deactivated"]
    assert (event.actor, event.subject, event.reason) == (
        Role.SUPERVISOR.value,
        "criterion C-OLD",
        "the review found no confirmed hit",
    )
    gone = client.post("/criteria/C-OLD/deactivate", data={"reason": "again", "csrf_token": token})
    assert gone.status_code == 404


# --- watchlists --------------------------------------------------------------------------------------

PERSONS = b"""id,name,aliases,date_of_birth,nationality,document_numbers,category
P1,Ivan Petrov,,1980-05-17,RU,P1234567,
P2,Anna Schmidt,A. Schmidt,1975,DE,,
"""
FACTS = {
    "legal_basis": "Art 6(3)(a), national list order 12/2026",
    "category": "terrorism",
    "owner": "Police",
}


def upload(client: TestClient, name: str, content: bytes, **facts: str) -> object:
    token = form_token(client.get("/watchlists").text)
    return client.post(
        "/watchlists/import",
        data={**FACTS, **facts, "csrf_token": token},
        files={"file": (name, content, "text/csv")},
    )


def test_a_watchlist_is_imported_from_an_upload(data: Data) -> None:
    client = data.client(Role.SUPERVISOR.value)
    done = upload(client, "national.csv", PERSONS)
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/watchlists").text
    assert "<strong>national</strong>" in page
    assert "Art 6(3)(a), national list order 12/2026" in page
    assert "uploaded file national.csv" in page
    assert "<td>2</td>" in page  # entries
    assert ("watchlist.imported", Role.SUPERVISOR.value) in data.actions()
    same = upload(client, "national.csv", PERSONS)
    assert same.status_code == 422  # type: ignore[attr-defined]
    assert "nothing was imported" in same.text  # type: ignore[attr-defined]
    newer = upload(client, "other-name.csv", PERSONS + b"P3,Li Wei,,1990-01-01,CN,,\n", list_id="national")
    assert newer.status_code == 303  # type: ignore[attr-defined]
    versions = client.get("/watchlists").text
    assert versions.count("<strong>national</strong>") == 2
    assert versions.count('class="active"') == 1
    analyst = data.client(Role.ANALYST.value).get("/watchlists")
    assert analyst.status_code == 200
    assert "<strong>national</strong>" in analyst.text
    assert "Import a list" not in analyst.text


def test_a_bad_watchlist_file_is_refused_with_its_line(data: Data) -> None:
    client = data.client(Role.SUPERVISOR.value)
    before = client.get("/watchlists").text.count("<tr id=")
    bad = PERSONS + b"P3,Li Wei,,1990-13-45,CN,,\n"
    refused = upload(client, "broken.csv", bad)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "broken.csv:4" in refused.text  # type: ignore[attr-defined]
    assert "nothing was imported" in refused.text  # type: ignore[attr-defined]
    unknown = upload(client, "notes.txt", b"hello\nworld\n")
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert "unknown watchlist format" in unknown.text  # type: ignore[attr-defined]
    no_basis = upload(client, "fine.csv", PERSONS, legal_basis=" ")
    assert no_basis.status_code == 422  # type: ignore[attr-defined]
    assert "legal_basis" in no_basis.text  # type: ignore[attr-defined]
    wrong_category = upload(client, "fine.csv", PERSONS, category="immigration")
    assert wrong_category.status_code == 422  # type: ignore[attr-defined]
    assert "Annex II" in wrong_category.text  # type: ignore[attr-defined]
    empty = upload(client, "empty.csv", b"")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert client.get("/watchlists").text.count("<tr id=") == before
    no_csrf = client.post("/watchlists/import", data=FACTS, files={"file": ("x.csv", PERSONS, "text/csv")})
    assert no_csrf.status_code == 403
    analyst = data.client(Role.ANALYST.value)
    token = form_token(analyst.get("/").text)
    assert (
        analyst.post(
            "/watchlists/import",
            data={**FACTS, "csrf_token": token},
            files={"file": ("x.csv", PERSONS, "text/csv")},
        ).status_code
        == 403
    )
    assert data.client(Role.OPERATOR.value).get("/watchlists").status_code == 403


# --- operations --------------------------------------------------------------------------------------


def test_the_operations_page_charts_the_inbox_hour_by_hour(data: Data) -> None:
    page = data.client(Role.OPERATOR.value).get("/operations")
    assert page.status_code == 200
    text = page.text
    assert "Inbox throughput, last 24 hours" in text
    # A bar chart drawn on the server (no script), its numbers in tables: both messages came at AT.
    assert '<svg class="chart"' in text
    assert "<script" not in text.split('<svg class="chart"')[1].split("</svg>")[0]
    hour = AT.strftime("%Y-%m-%d %H:00")
    assert f"<tr><td>{hour}</td><td>2</td><td>1</td><td>1</td></tr>" in text
    assert text.count("<tr><td>") >= 24  # every hour of the window, those without messages too
    assert "<tr><td>1A</td><td>1</td><td>1</td><td>0</td></tr>" in text  # by sender
    assert re.search(r'<tr class="late"><td>LH</td><td>1</td><td>0</td><td>[1-9]\d*</td></tr>', text)
    assert f"{AT:%H}:00 UTC: 2 received" in text  # each bar says what it counts


def test_the_operations_page_counts_and_lists_the_quarantine(data: Data) -> None:
    client = data.client(Role.OPERATOR.value)
    page = client.get("/operations")
    assert page.status_code == 200
    assert "Messages received" in page.text
    assert "quarantined: 1" in page.text
    assert "no EDIFACT message found" in page.text  # the reason
    assert f'href="/operations/messages/{data.quarantined}"' in page.text
    stored = client.get("/operations?state=stored")
    assert stored.status_code == 200
    assert "1A / test" in stored.text
    assert client.get("/operations?state=nonsense").status_code == 422
    carriers = client.get(f"/operations?day={data.day.isoformat()}")
    assert f"<td>{data.carrier}</td>" in carriers.text
    assert client.get("/operations?day=2001-01-01").text.count("No flights stored") == 1
    message = client.get(f"/operations/messages/{data.quarantined}")
    assert message.status_code == 200
    assert "Reason:" in message.text
    assert "History" in message.text
    assert "this is not a message" not in message.text  # never the content
    assert client.get("/operations/messages/999999").status_code == 404
    for role in (Role.ANALYST, Role.DPO, Role.AUTHORITY):
        assert data.client(role.value).get("/operations").status_code == 403
    assert data.client(Role.ADMINISTRATOR.value).get("/operations").status_code == 200


def test_a_quarantined_message_is_retried_by_an_operator(data: Data) -> None:
    operator = data.client(Role.OPERATOR.value)
    page = operator.get(f"/operations/messages/{data.quarantined}")
    assert "Retry" in page.text
    supervisor = data.client(Role.SUPERVISOR.value)
    assert "Retry</button>" not in supervisor.get(f"/operations/messages/{data.quarantined}").text
    token = form_token(supervisor.get("/").text)
    forbidden = supervisor.post(f"/operations/messages/{data.quarantined}/retry", data={"csrf_token": token})
    assert forbidden.status_code == 403  # operations.read, not operations.retry
    assert operator.post(f"/operations/messages/{data.quarantined}/retry").status_code == 403  # no CSRF
    retried = operator.post(
        f"/operations/messages/{data.quarantined}/retry", data={"csrf_token": form_token(page.text)}
    )
    assert retried.status_code == 303
    history = operator.get(f"/operations/messages/{data.quarantined}").text
    assert history.count("<strong>quarantined</strong>") == 2  # read again, still broken
    assert ("message.retried", Role.OPERATOR.value) in data.actions()
    stored = operator.get("/operations?state=stored").text
    stored_id = re.search(r'href="/operations/messages/(\d+)"', stored)
    assert stored_id
    not_quarantined = operator.post(
        f"/operations/messages/{stored_id.group(1)}/retry", data={"csrf_token": form_token(page.text)}
    )
    assert not_quarantined.status_code == 422
    assert "only a quarantined one" in not_quarantined.text
    missing = operator.post("/operations/messages/999999/retry", data={"csrf_token": form_token(page.text)})
    assert missing.status_code == 404
