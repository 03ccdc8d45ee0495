"""A traveller's journeys and network in a real browser (Debian's chromium driven by Playwright), on a
generated world with planted broken journeys and networks: the timeline in local time and UTC, the map with
the airports and the route, broken travel across the Schengen border with its reason, the network's links
with their reasons and its hubs, a linked traveller opened from the network, and the printable case file.
Screenshots are saved as test artefacts like the other browser tests'.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from test_analyst_in_a_browser import CHROMIUM, PASSWORD, chromium, serving, shot, signed_in

from conftest import require
from openpiu.clock import FixedClock
from openpiu.model.access import Role
from openpiu.services.accounts import AccountService, HashParameters
from openpiu.services.identity import export_identities
from openpiu.services.ingest import ingest_paths
from openpiu.services.journeys import JourneyDesk
from openpiu.services.network import NetworkDesk
from openpiu.settings import Settings
from openpiu.store import open_store, upgrade
from openpiu.synth.evaluation import export_key, read_truth
from openpiu.synth.world import generate, world_params
from openpiu.web.app import create_app

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
KEY = "42" * 32


@dataclass
class World:
    url: str
    broken: int  # an identity with broken travel across the Schengen border
    broken_locators: list[str]  # the two bookings the planted broken journey was split over
    start: int  # a member of a planted card network, whose network holds hubs
    fellow: int  # another member of it


def _lines(path: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require("chromium", CHROMIUM is not None, "install Debian's chromium (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("journeys-browser")
    params = dataclasses.replace(
        world_params(seed=5, days=2, scale=0.003, broken_rate=0.0), broken_journeys=2, networks=4
    )
    generate(params, folder)
    settings = Settings.from_env(
        {
            "OPENPIU_DATA_DIR": str(folder / "data"),
            "OPENPIU_CARD_HASH_KEY": KEY,
            "OPENPIU_ALLOW_PLAIN_HTTP": "true",
        }
    )
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    ingest_paths(
        [folder / "messages"], url=settings.database_url, clock=clock, card_key=bytes.fromhex(KEY), readers=0
    )
    truth = read_truth(folder)
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    for line in export_identities(settings.database_url, clock=clock, actor="test"):
        person = truth.get(export_key(line))
        if person is not None and line["identity"] is not None:
            votes[person][line["identity"]] += 1
    identity_of = {person: found.most_common(1)[0][0] for person, found in votes.items()}
    store = open_store(settings.database_url, clock=clock)
    try:
        journeys, networks = JourneyDesk(store), NetworkDesk(store)
        broken = next(
            (identity_of[person], planted["locators"])
            for planted in _lines(folder / "truth" / "journeys.jsonl")
            if planted["broken"]
            for person in planted["person_ids"]
            if journeys.journeys("test", identity_of[person]).broken
        )
        card = next(n for n in _lines(folder / "truth" / "networks.jsonl") if n["kind"] == "card")
        members = [identity_of[person] for person in card["person_ids"]]
        start = next(m for m in members if networks.network("test", m).network.hubs)
    finally:
        store.close()
    cheap = HashParameters(time_cost=1, memory_kib=8, parallelism=1)
    accounts = AccountService.open(settings, clock, hashing=cheap)
    accounts.add_user("analyst", Role.ANALYST, PASSWORD, actor="cli:test")
    accounts.close()
    with serving(create_app(settings, clock, hashing=cheap)) as url:
        yield World(url, broken[0], broken[1], start, next(m for m in members if m != start))


@pytest.fixture(scope="module")
def browser(world: World) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def traveller(browser: Browser, world: World, identity: int) -> Page:
    """The traveller page of an identity, signed in as an analyst."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{world.url}/identities/{identity}")
    signed_in(page, Role.ANALYST)
    page.wait_for_url(re.compile(r".*/travellers/\d+$"))
    return page


def test_the_timeline_the_map_and_broken_travel(browser: Browser, world: World) -> None:
    page = traveller(browser, world, world.broken)
    assert page.locator("h2", has_text=f"Journeys (identity {world.broken}").count() == 1
    legs = page.locator("main table tbody tr:not(.broken-travel)").filter(has_text=" local ")
    assert legs.count() >= 2
    first = legs.first.inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d local [A-Z]{3} · \d\d:\d\d UTC", first), first
    # The map: every airport of the timeline drawn with its code, the legs as routes, broken travel marked.
    airports = set(re.findall(r"\b([A-Z]{3}) \(", page.locator("main").inner_text()))
    assert airports
    drawn = set(page.locator("figure.journey-map svg g.airport text").all_text_contents())
    assert airports <= drawn
    assert page.locator("figure.journey-map svg path.leg").count() >= 1
    assert page.locator("figure.journey-map svg path[class='leg broken']").count() >= 1
    broken = page.locator("tr.broken-travel")
    assert broken.count() >= 1
    reasons = broken.all_inner_texts()
    assert any("broken travel" in r and all(loc in r for loc in world.broken_locators) for r in reasons), (
        reasons
    )
    shot(page, "traveller-journeys")


def test_the_network_lists_links_and_hubs_and_leads_to_a_linked_traveller(
    browser: Browser, world: World
) -> None:
    page = traveller(browser, world, world.start)
    network = page.locator("h2", has_text="Network (within 3 links)")
    network.wait_for()  # read after the page is shown
    assert network.count() == 1
    links = page.locator("h2:has-text('Network') + ul > li")
    assert links.count() >= 2
    texts = links.all_inner_texts()
    assert any("the same payment card" in text for text in texts)
    assert all(": " in text for text in texts)  # each link with its reason
    assert any(re.search(r"booking [A-Z0-9]{6}, [A-Z0-9]+ \d{4}-\d\d-\d\d", text) for text in texts), texts
    hubs = page.locator("p:has-text('not followed') + ul > li")
    assert hubs.count() >= 1
    assert "unrelated parties" in hubs.first.inner_text()
    shot(page, "traveller-network")
    page.locator(f"a.network-traveller[href='/identities/{world.fellow}']").first.click()
    page.wait_for_url(re.compile(r".*/travellers/\d+$"))
    assert page.locator("h2", has_text=f"Journeys (identity {world.fellow}").count() == 1
    shot(page, "traveller-linked")


def test_the_printable_case_file(browser: Browser, world: World) -> None:
    page = traveller(browser, world, world.broken)
    page.fill("form.case-file-export input[name=purpose]", "investigation 2026/31 of the national police")
    page.fill("form.case-file-export input[name=case_reference]", "CASE-2026-31")
    page.click("form.case-file-export button[value=page]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Case file CASE-2026-31"
    assert page.locator(".case-header .exported-by").inner_text() == "analyst"
    assert "UTC" in page.locator(".case-header .exported-at").inner_text()
    assert page.locator("nav").count() == 0  # no navigation chrome on a printed page
    assert page.locator("figure.journey-map svg").count() == 1
    assert page.locator("tr.broken-travel").count() >= 1
    assert page.locator("table.links tbody tr").count() >= 1
    shot(page, "case-file")
    page.emulate_media(media="print")
    shot(page, "case-file-print")
