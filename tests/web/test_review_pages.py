"""The analyst's screens through the application: the board, the queue, a hit and its decision (page and
JSON API, CSRF enforced), a flight, a booking, a traveller and search; every read audited; the hit of a
person known from API data first, taken over by their traveller's once the booking arrives."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_security import AT, CHEAP, PASSWORD, Site, _settings, form_token, login, page_csrf

from openpiu.clock import FixedClock
from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PnrPush, Watchlist, WatchlistEntry
from openpiu.model.access import Role
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.store import open_store, upgrade
from openpiu.synth.corpus import demo_push, passenger_list_for
from openpiu.web.app import create_app

LIST = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU supervisor")
PURPOSE = "request 2026/117 of the national police"
AUTHORITIES = """
authorities:
  - id: customs
    name: Customs investigation service
    legal_basis: Art 6(6) Directive (EU) 2016/681
    channel:
      type: file
      folder: customs-inbox
    actions: [information, discreet_check]
"""


class Data:
    def __init__(self, site: Site, push: PnrPush, inbox: Path) -> None:
        self.site, self.push, self.inbox = site, push, inbox

    def client(self, role: Role) -> TestClient:
        client = self.site.client()
        assert login(client, role.value).status_code == 303
        return client


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Data]:
    yield from review_site(tmp_path_factory.mktemp("review"))


def review_site(folder: Path) -> Iterator[Data]:
    """An application with a day's push ingested and screened, and a user of each role."""
    (folder / "customs-inbox").mkdir()
    authorities = folder / "authorities.yml"
    authorities.write_text(AUTHORITIES)
    settings = _settings(folder / "data", OPENPIU_AUTHORITIES_FILE=str(authorities))
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    store = open_store(settings.database_url, clock=clock)
    push = demo_push(seed=5, bookings=12)
    named = [t for b in push.bookings if not b.cancelled for t in b.travellers if t.given_names][:2]
    store.import_watchlist(
        LIST,
        [
            WatchlistEntry(entry_id=f"E{n}", names=(f"{t.given_names} {t.surname}",))
            for n, t in enumerate(named)
        ],
        actor="supervisor",
    )
    Ingestor(store, clock, screening=ScreeningStage(store, clock)).ingest(
        write_pnrgov(push), sender="1A", channel="test"
    )
    store.close()
    app = create_app(settings, clock, hashing=CHEAP)
    with TestClient(app, base_url="https://testserver"):
        site = Site(app, settings, clock)
        for role in Role:
            site.accounts.add_user(role.value, role, PASSWORD, actor="cli:test")
        yield Data(site, push, folder / "customs-inbox")


def first_hit(client: TestClient) -> int:
    found = re.search(r'href="/hits/(\d+)"', client.get("/hits?state=all").text)
    assert found
    return int(found.group(1))


def test_the_board_shows_the_days_flights(data: Data) -> None:
    client = data.client(Role.ANALYST)
    assert data.push.flight is not None
    assert data.push.flight.departure is not None
    day = data.push.flight.departure.local.date()
    page = client.get(f"/dashboard?day={day.isoformat()}")
    assert page.status_code == 200
    assert f"{data.push.flight.carrier} {data.push.flight.number}" in page.text
    assert "Hits waiting" in page.text
    assert "local" in page.text  # schedule times labelled local and UTC
    assert "UTC" in page.text


def test_the_queue_lists_hits_and_is_audited(data: Data) -> None:
    client = data.client(Role.ANALYST)
    page = client.get("/hits")
    assert page.status_code == 200
    assert page.text.count('href="/hits/') >= 2
    assert '<script src="/static/keyboard.js">' in page.text
    assert any(e.action == "hits.queue.read" and e.actor == "analyst" for e in data.site.events())
    assert client.get("/hits?state=nonsense").status_code == 422


def test_a_hit_is_decided_with_a_reason(data: Data) -> None:
    client = data.client(Role.ANALYST)
    hit_id = first_hit(client)
    page = client.get(f"/hits/{hit_id}")
    assert page.status_code == 200
    assert "Why it matched" in page.text
    assert "The watchlist entry" in page.text
    token = form_token(page.text)
    refused = client.post(
        f"/hits/{hit_id}/decisions", data={"outcome": "confirmed", "reason": " ", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "reason" in refused.text
    no_token = client.post(
        f"/hits/{hit_id}/decisions", data={"outcome": "confirmed", "reason": "same person"}
    )
    assert no_token.status_code == 403
    done = client.post(
        f"/hits/{hit_id}/decisions",
        data={"outcome": "dismissed", "reason": "other date of birth on the passport", "csrf_token": token},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/hits/{hit_id}"
    after = client.get(f"/hits/{hit_id}").text
    assert "other date of birth on the passport" in after
    assert "Revise the decision" in after
    assert [
        e.actor for e in data.site.events() if e.action == "hit.decided" and e.subject == f"hit:{hit_id}"
    ] == ["analyst"]


def test_the_json_api_lists_and_decides(data: Data) -> None:
    client = data.client(Role.SUPERVISOR)
    queue = client.get("/api/v1/hits?state=all")
    assert queue.status_code == 200
    body = queue.json()
    assert body["total"] == len(body["items"]) >= 2
    hit_id = body["items"][-1]["hit"]["id"]
    assert client.get(f"/api/v1/hits/{hit_id}").json()["explanation"]
    assert client.get("/api/v1/hits/999999").status_code == 404
    decision = {"outcome": "confirmed", "reason": "passport number equal"}
    assert client.post(f"/api/v1/hits/{hit_id}/decisions", json=decision).status_code == 403  # no CSRF
    made = client.post(
        f"/api/v1/hits/{hit_id}/decisions", json=decision, headers={"X-CSRF-Token": page_csrf(client)}
    )
    assert made.status_code == 201
    assert made.json()["decided_by"] == "supervisor"
    empty = client.post(
        f"/api/v1/hits/{hit_id}/decisions",
        json={"outcome": "confirmed", "reason": ""},
        headers={"X-CSRF-Token": page_csrf(client)},
    )
    assert empty.status_code == 422


def test_flight_booking_and_traveller_pages(data: Data) -> None:
    client = data.client(Role.ANALYST)
    hit = client.get(f"/hits/{first_hit(client)}").text
    flight = re.search(r'href="/flights/(\d+)"', hit)
    booking = re.search(r'href="/bookings/(\d+)"', hit)
    traveller = re.search(r'href="/travellers/(\d+)"', hit)
    assert flight
    assert booking
    assert traveller
    manifest = client.get(f"/flights/{flight.group(1)}")
    assert manifest.status_code == 200
    assert "Manifest" in manifest.text
    assert "has-hit" in manifest.text
    assert client.get(f"/bookings/{booking.group(1)}").status_code == 200
    person = client.get(f"/travellers/{traveller.group(1)}")
    assert person.status_code == 200
    # The identity's journeys (legs in local time and UTC, the map drawn inline) and its network.
    assert "Journeys (identity " in person.text
    assert "<svg" in person.text
    assert " local " in person.text
    assert "UTC" in person.text
    assert 'data-fragment="/travellers/' in person.text  # the network is read after the page is shown
    network = client.get(f"/travellers/{traveller.group(1)}/network", params={"fragment": "true"})
    assert network.status_code == 200
    assert "Network (within 3 links)" in network.text
    assert "<html" not in network.text  # the section alone
    whole = client.get(f"/travellers/{traveller.group(1)}/network")
    assert "Network (within 3 links)" in whole.text
    assert "<html" in whole.text
    assert client.get("/flights/999999").status_code == 404
    actions = {e.action for e in data.site.events()}
    assert {"flight.read", "booking.read", "traveller.read", "journeys.read", "network.read"} <= actions


def test_a_traveller_without_an_identity_has_a_page(data: Data) -> None:
    # A group's seat held under a placeholder name is not resolved into an identity: its page shows the
    # traveller and says nothing of journeys or network.
    engine = sa.create_engine(data.site.settings.database_url)
    try:
        with engine.begin() as connection:
            last = connection.execute(sa.text("SELECT max(id) FROM travellers")).scalar_one()
            connection.execute(sa.text("DELETE FROM identity_members WHERE traveller_id = :t"), {"t": last})
    finally:
        engine.dispose()
    page = data.client(Role.ANALYST).get(f"/travellers/{last}")
    assert page.status_code == 200
    assert "Journeys (identity " not in page.text
    network = data.client(Role.ANALYST).get(f"/travellers/{last}/network", params={"fragment": "true"})
    assert network.status_code == 200
    assert "Network (within" not in network.text
    assert "No identity for this traveller" in network.text


def test_search_needs_a_purpose(data: Data) -> None:
    client = data.client(Role.ANALYST)
    person = next(t for b in data.push.bookings if not b.cancelled for t in b.travellers if t.given_names)
    assert data.push.flight is not None
    assert data.push.flight.departure is not None
    day = data.push.flight.departure.local.date().isoformat()
    query = {"kind": "name", "surname": person.surname, "from_date": day, "to_date": day}
    refused = client.get("/search", params={**query, "purpose": "look"})
    assert refused.status_code == 422
    found = client.get("/search", params={**query, "purpose": PURPOSE})
    assert found.status_code == 200
    assert person.surname in found.text
    assert any(e.action == "search.name" and e.reason == PURPOSE for e in data.site.events())
    assert client.get("/search").status_code == 200  # the empty form


def test_roles_without_the_action_are_refused(data: Data) -> None:
    authority = data.client(Role.AUTHORITY)
    assert authority.get("/hits").status_code == 403
    assert authority.get("/search").status_code == 403
    operator = data.client(Role.OPERATOR)
    assert operator.get("/dashboard").status_code == 200
    assert operator.get("/flights/1").status_code == 403
    dpo = data.client(Role.DPO)
    hit_id = first_hit(dpo)
    page = dpo.get(f"/hits/{hit_id}")
    assert page.status_code == 200
    assert "Record the decision" not in page.text  # the DPO reads, never decides
    assert (
        dpo.post(f"/hits/{hit_id}/decisions", data={"csrf_token": form_token(page.text)}).status_code == 403
    )


def test_times_are_labelled(data: Data) -> None:
    client = data.client(Role.ANALYST)
    assert "UTC" in client.get(f"/hits/{first_hit(client)}").text


def test_a_confirmed_hit_leaves_only_after_a_second_persons_approval(data: Data) -> None:
    analyst = data.client(Role.ANALYST)
    hits = analyst.get("/api/v1/hits?state=all").json()["items"]
    hit_id = hits[0]["hit"]["id"]
    page = analyst.get(f"/hits/{hit_id}")
    token = form_token(page.text)
    decided = analyst.post(
        f"/hits/{hit_id}/decisions",
        data={"outcome": "confirmed", "reason": "passport number equal", "csrf_token": token},
    )
    assert decided.status_code == 303
    page = analyst.get(f"/hits/{hit_id}")
    assert "Ask to send it to a competent authority" in page.text
    asked = analyst.post(
        f"/hits/{hit_id}/transmissions",
        data={
            "recipient": "customs/information",
            "note": "on board, seat 12C",
            "csrf_token": form_token(page.text),
        },
    )
    assert asked.status_code == 303
    location = asked.headers["location"]
    assert re.fullmatch(r"/transmissions/\d+", location)
    shown = analyst.get(location)
    assert "requested" in shown.text
    assert "Second approval" not in shown.text  # an analyst may not approve
    assert not list(data.inbox.iterdir())  # nothing has left
    refused = analyst.post(
        f"{location}/decision",
        data={"choice": "approve", "reason": "ok", "csrf_token": form_token(shown.text)},
    )
    assert refused.status_code == 403

    supervisor = data.client(Role.SUPERVISOR)
    page = supervisor.get(location)
    assert "Second approval" in page.text
    approved = supervisor.post(
        f"{location}/decision",
        data={"choice": "approve", "reason": "grounds checked", "csrf_token": form_token(page.text)},
    )
    assert approved.status_code == 303
    assert "sent" in supervisor.get(location).text
    [delivered] = list(data.inbox.iterdir())
    sent = json.loads(delivered.read_text())
    text = json.dumps(sent)
    assert "on board, seat 12C" in text
    assert "explanation" not in text  # never the features compared
    assert supervisor.get("/transmissions").status_code == 200
    actions = [e.action for e in data.site.events()]
    assert "transmission.requested" in actions
    assert "transmission.approved" in actions


def test_the_requester_cannot_approve_their_own_transmission(data: Data) -> None:
    supervisor = data.client(Role.SUPERVISOR)
    hits = supervisor.get("/api/v1/hits?state=all").json()["items"]
    hit_id = hits[-1]["hit"]["id"]
    page = supervisor.get(f"/hits/{hit_id}")
    supervisor.post(
        f"/hits/{hit_id}/decisions",
        data={"outcome": "confirmed", "reason": "same person", "csrf_token": form_token(page.text)},
    )
    page = supervisor.get(f"/hits/{hit_id}")
    asked = supervisor.post(
        f"/hits/{hit_id}/transmissions",
        data={"recipient": "customs/discreet_check", "note": "", "csrf_token": form_token(page.text)},
    )
    location = asked.headers["location"]
    page = supervisor.get(location)
    own = supervisor.post(
        f"{location}/decision",
        data={"choice": "approve", "reason": "mine", "csrf_token": form_token(page.text)},
    )
    assert own.status_code == 422
    assert "requested" in supervisor.get(location).text
    unknown = supervisor.post(
        f"/hits/{hit_id}/transmissions",
        data={"recipient": "customs/arrest", "note": "", "csrf_token": form_token(page.text)},
    )
    assert unknown.status_code == 422


def test_the_dpo_searches_the_audit_log_and_checks_its_chain(data: Data) -> None:
    dpo = data.client(Role.DPO)
    page = dpo.get("/audit", params={"action": "hit."})
    assert page.status_code == 200
    assert "hit.read" in page.text
    assert "search.name" not in page.text
    assert "Intact" in dpo.get("/audit/verify").text
    assert data.client(Role.ANALYST).get("/audit").status_code == 403
    assert data.client(Role.AUTHORITY).get("/audit").status_code == 200
    assert any(e.action == "audit.read" and e.actor == "dpo" for e in data.site.events())
    engine = sa.create_engine(data.site.settings.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 2"))
    finally:
        engine.dispose()
    broken = dpo.get("/audit/verify").text
    assert "Broken at event 2" in broken


def test_the_hit_of_a_person_known_from_api_data_first_is_taken_over(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The passenger list arrives before the booking: its person is hit alone, then merged with the
    # booking's traveller, whose hit takes the first one over.
    folder = tmp_path_factory.mktemp("takeover")
    settings = _settings(folder / "data")
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    store = open_store(settings.database_url, clock=clock)
    push = demo_push(seed=3, bookings=30)
    plist = passenger_list_for(push)
    person = next(p for p in plist.persons if p.given_names and p.date_of_birth)
    entry = WatchlistEntry(
        entry_id="E-1", names=(f"{person.given_names} {person.surname}",), date_of_birth=person.date_of_birth
    )
    store.import_watchlist(LIST, [entry], actor="supervisor")
    ingestor = Ingestor(store, clock, screening=ScreeningStage(store, clock))
    ingestor.ingest(write_paxlst(plist), sender="1A", channel="test")
    [alone] = store.hits()
    ingestor.ingest(write_pnrgov(push), sender="1A", channel="test")
    [taker] = [h for h in store.hits() if h.hit.booking_id is not None]
    store.close()
    app = create_app(settings, clock, hashing=CHEAP)
    with TestClient(app, base_url="https://testserver"):
        site = Site(app, settings, clock)
        site.accounts.add_user("analyst", Role.ANALYST, PASSWORD, actor="cli:test")
        client = site.client()
        assert login(client, "analyst").status_code == 303
        queue = client.get("/hits?state=all").text
        assert f'href="/hits/{taker.id}"' in queue
        assert f'href="/hits/{alone.id}"' not in queue  # the match is listed once

        old = client.get(f"/hits/{alone.id}").text
        assert f'Taken over {AT:%Y-%m-%d %H:%M:%S} UTC by <a href="/hits/{taker.id}">' in old
        assert "Record the decision" not in old
        refused = client.post(
            f"/hits/{alone.id}/decisions",
            data={"outcome": "dismissed", "reason": "not the person", "csrf_token": form_token(old)},
        )
        assert refused.status_code == 422
        assert f"taken over by hit {taker.id}" in refused.text
        new = client.get(f"/hits/{taker.id}").text
        assert f'Takes over <a href="/hits/{alone.id}">hit {alone.id}</a>' in new
        assert "Record the decision" in new
        assert client.get(f"/api/v1/hits/{alone.id}").json()["superseded_by"] == taker.id
        assert client.get(f"/api/v1/hits/{taker.id}").json()["superseded_by"] is None
