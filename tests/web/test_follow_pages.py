"""Follows through the application: an analyst follows a confirmed identity from the traveller's page, the
follows page lists it (the analyst their own, supervisors and the DPO all), the next push of that person
raises a follow hit shown with its legal basis, and only the follower or a supervisor reviews or ends it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from test_security import AT, CHEAP, PASSWORD, Site, _settings, form_token, login

from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import Decision, DecisionOutcome, HitKind, PnrPush, Watchlist, WatchlistEntry
from openpiu.model.access import Role
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.store import open_store, upgrade
from openpiu.synth.corpus import demo_push
from openpiu.web.app import create_app

LIST = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU supervisor")
BASIS = "Art 6(2)(b) Directive 2016/681; case 2026/117"


@dataclasses.dataclass
class Data:
    site: Site
    push: PnrPush
    traveller_id: int  # the traveller whose hit was confirmed

    def client(self, username: str) -> TestClient:
        client = self.site.client()
        assert login(client, username).status_code == 303
        return client

    def ingest(self, push: PnrPush) -> None:
        store = open_store(self.site.settings.database_url, clock=self.site.clock)
        try:
            Ingestor(store, self.site.clock, screening=ScreeningStage(store, self.site.clock)).ingest(
                write_pnrgov(push), sender="1A", channel="test"
            )
        finally:
            store.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Data]:
    folder = tmp_path_factory.mktemp("follows")
    settings = _settings(folder / "data")
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    store = open_store(settings.database_url, clock=clock)
    push = demo_push(seed=5, bookings=12)
    named = next(t for b in push.bookings if not b.cancelled for t in b.travellers if t.given_names)
    store.import_watchlist(
        LIST, [WatchlistEntry(entry_id="E0", names=(f"{named.given_names} {named.surname}",))], actor="sup"
    )
    Ingestor(store, clock, screening=ScreeningStage(store, clock)).ingest(
        write_pnrgov(push), sender="1A", channel="test"
    )
    hit = store.hits()[0]
    assert hit.hit.traveller_id is not None
    store.decide(Decision(hit.id, DecisionOutcome.CONFIRMED, "the person sought", "analyst"))
    store.close()
    app = create_app(settings, clock, hashing=CHEAP)
    with TestClient(app, base_url="https://testserver"):
        site = Site(app, settings, clock)
        for role in Role:
            site.accounts.add_user(role.value, role, PASSWORD, actor="cli:test")
        site.accounts.add_user("analyst2", Role.ANALYST, PASSWORD, actor="cli:test")
        yield Data(site, push, hit.hit.traveller_id)


def follow_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'action="/follows/(\d+)/end"', html)]


def test_a_confirmed_identity_is_followed_and_its_next_push_raises_a_hit(data: Data) -> None:
    analyst = data.client("analyst")
    page = analyst.get(f"/travellers/{data.traveller_id}")
    assert "Follow this identity" in page.text
    token = form_token(page.text)
    form = {"legal_basis": BASIS, "reason": "courier for the network", "days": "30", "csrf_token": token}
    refused = analyst.post(f"/travellers/{data.traveller_id}/follow", data={**form, "days": "400"})
    assert refused.status_code == 422
    assert "1 to 90 days" in refused.text
    done = analyst.post(f"/travellers/{data.traveller_id}/follow", data=form)
    assert done.status_code == 303
    assert done.headers["location"] == "/follows"
    listing = analyst.get("/follows").text
    assert BASIS in listing
    [follow_id] = follow_ids(listing)
    assert any(e.action == "follow.started" and e.actor == "analyst" for e in data.site.events())

    # the DPO reads every follow and changes none; another analyst sees none of this one
    dpo = data.client("dpo").get("/follows").text
    assert BASIS in dpo
    assert follow_ids(dpo) == []
    other = data.client("analyst2")
    assert BASIS not in other.get("/follows").text
    other_token = form_token(other.get(f"/travellers/{data.traveller_id}").text)
    assert (
        other.post(
            f"/follows/{follow_id}/end", data={"reason": "not mine", "csrf_token": other_token}
        ).status_code
        == 422
    )

    # the person's next push: one follow hit, shown with its follow and legal basis
    assert data.push.header.prepared_at is not None
    header = dataclasses.replace(
        data.push.header, message_ref="2", prepared_at=data.push.header.prepared_at + timedelta(hours=6)
    )
    data.ingest(dataclasses.replace(data.push, header=header))
    store = open_store(data.site.settings.database_url, clock=data.site.clock)
    try:
        [hit] = [h for h in store.hits() if h.hit.kind is HitKind.FOLLOW]
    finally:
        store.close()
    assert hit.hit.source_id == f"follow:{follow_id}"
    shown = analyst.get(f"/hits/{hit.id}").text
    assert "The follow" in shown
    assert BASIS in shown
    listing = analyst.get("/follows").text
    assert f'href="/hits/{hit.id}"' in listing  # waiting for the follower

    # a supervisor extends it and ends it
    supervisor = data.client("supervisor")
    token = form_token(supervisor.get("/follows").text)
    extended = supervisor.post(
        f"/follows/{follow_id}/review", data={"reason": "still needed", "days": "60", "csrf_token": token}
    )
    assert extended.status_code == 303
    ended = supervisor.post(f"/follows/{follow_id}/end", data={"reason": "case closed", "csrf_token": token})
    assert ended.status_code == 303
    assert "case closed" in supervisor.get("/follows?ended=true").text
    actions = [e.action for e in data.site.events() if e.subject == f"follow {follow_id}"]
    assert actions == ["follow.started", "follow.reviewed", "follow.ended"]
