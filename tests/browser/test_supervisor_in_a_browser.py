"""The supervisors' and operators' work in a real browser (Debian's chromium driven by Playwright) against a
running server: a supervisor drafts a criterion, reads the linter's findings and the back-test per flight
date, and a second supervisor approves it; a supervisor imports a watchlist file; an operator reads the
inbox and the quarantine. Screenshots are saved as test artefacts (``OPENPIU_TEST_ARTIFACTS``, default
``build/screenshots``), as in the analysts' browser test.

Needs ``chromium`` (Debian package): skipped without it on a newcomer's machine, a failure in CI.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from test_analyst_in_a_browser import CHROMIUM, PASSWORD, free_port, shot

from conftest import require
from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model.access import Role
from openpiu.pipeline import Ingestor
from openpiu.services.accounts import AccountService, HashParameters
from openpiu.settings import Settings
from openpiu.store import open_store, upgrade
from openpiu.synth.corpus import demo_push
from openpiu.web.app import create_app

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
SECOND = "supervisor2"
LIST = """id,name,aliases,date_of_birth,nationality,document_numbers,category
P1,Ivan Petrov,,1980-05-17,RU,P1234567,
P2,Anna Schmidt,A. Schmidt,1975,DE,,
"""


@dataclass
class Server:
    url: str
    carrier: str
    day: date
    folder: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require("chromium", CHROMIUM is not None, "install Debian's chromium (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser-supervisors")
    settings = Settings.from_env(
        {
            "OPENPIU_DATA_DIR": str(folder / "data"),
            "OPENPIU_CARD_HASH_KEY": "42" * 32,
            "OPENPIU_ALLOW_PLAIN_HTTP": "true",
        }
    )
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    store = open_store(settings.database_url, clock=clock)
    push = demo_push(seed=5, bookings=12)
    ingestor = Ingestor(store, clock)
    ingestor.ingest(write_pnrgov(push), sender="1A", channel="http")
    ingestor.ingest(b"UNA:+.? 'UNB+IATA:1+XX+DE'", sender="XX", channel="http")  # quarantined
    store.close()
    assert push.flight is not None
    assert push.flight.departure is not None
    cheap = HashParameters(time_cost=1, memory_kib=8, parallelism=1)
    accounts = AccountService.open(settings, clock, hashing=cheap)
    for name, role in ((Role.SUPERVISOR.value, Role.SUPERVISOR), (SECOND, Role.SUPERVISOR)):
        accounts.add_user(name, role, PASSWORD, actor="cli:test")
    accounts.add_user(Role.OPERATOR.value, Role.OPERATOR, PASSWORD, actor="cli:test")
    accounts.close()
    port = free_port()
    app = create_app(settings, clock, hashing=cheap)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield Server(
            f"http://127.0.0.1:{port}", push.flight.carrier, push.flight.departure.local.date(), folder
        )
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def sign_in(browser: Browser, server: Server, username: str, start: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url + start)
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def criterion(carrier: str) -> str:
    return f"""- id: C-0101
  title: Travellers of {carrier} who give no frequent-flyer number
  owner: PIU targeting team
  purpose: annex2-04
  version: 1
  approval: null
  review_date: 2027-03-01
  expires_on: 2027-06-01
  priority: 2
  rationale: >
    A test pattern for the browser test; a real criterion says why the pattern points to the crime.
  condition:
    all:
      - {{feature: carrier, is: {carrier}}}
      - {{feature: frequent_flyer, is: false}}
"""


def test_a_supervisor_drafts_backtests_and_a_second_approves(browser: Browser, server: Server) -> None:
    page = sign_in(browser, server, Role.SUPERVISOR.value, "/criteria")
    assert page.url.endswith("/criteria")
    page.click("text=Write a draft")
    page.wait_for_url("**/criteria/drafts/new")
    page.fill("#text", criterion(server.carrier))
    shot(page, "criteria-draft")
    page.click("form.editor button[type=submit]")
    page.wait_for_url("**/criteria/drafts/*")
    assert ": draft" in page.locator("h1").inner_text()
    assert "No errors" in page.locator("#lint").locator("xpath=..").inner_text()
    assert page.locator("ul.refused li").count() == 2  # not back-tested; written by this supervisor
    page.fill("#from_date", server.day.isoformat())
    page.fill("#to_date", server.day.isoformat())
    page.click("form.backtest button[type=submit]")
    page.wait_for_load_state()
    assert ": back-tested" in page.locator("h1").inner_text()
    outcome = page.locator(".outcome h3").first.inner_text()
    assert outcome.startswith("C-0101 v1: ")
    assert int(outcome.split(": ")[1].split()[0]) > 0  # travellers flagged
    assert page.locator("table.per-day tbody tr").count() == 1  # one flight date
    shot(page, "criteria-backtest")
    draft = page.url.removeprefix(server.url).split("/backtest")[0]

    second = sign_in(browser, server, SECOND, draft)
    assert "Approve and activate" in second.content()
    shot(second, "criteria-approval")
    second.click("form.approve button[type=submit]")
    second.wait_for_load_state()
    assert ": approved" in second.locator("h1").inner_text()
    assert f"Approved by {SECOND}" in second.locator("main").inner_text()
    second.goto(server.url + "/criteria")
    row = second.locator("#criterion-C-0101")
    assert "C-0101 v1" in row.inner_text()
    assert SECOND in row.inner_text()
    shot(second, "criteria-active")


def test_a_supervisor_imports_a_watchlist(browser: Browser, server: Server) -> None:
    upload = server.folder / "national-list.csv"
    upload.write_text(LIST)
    page = sign_in(browser, server, Role.SUPERVISOR.value, "/watchlists")
    page.set_input_files("#file", str(upload))
    page.fill("#legal_basis", "Art 6(3)(a) Directive (EU) 2016/681; national list order 12/2026")
    page.select_option("#category", "terrorism")
    page.fill("#owner", "Federal Police")
    page.click("form.import button[type=submit]")
    page.wait_for_load_state()
    table = page.locator("table.watchlists").inner_text()
    assert "national-list" in table
    assert "Federal Police" in table
    shot(page, "watchlists")


def test_an_operator_reads_the_inbox_and_the_quarantine(browser: Browser, server: Server) -> None:
    page = sign_in(browser, server, Role.OPERATOR.value, f"/operations?day={server.day.isoformat()}")
    assert "Messages received" in page.content()
    assert server.carrier in page.locator("table.carriers").inner_text()
    shot(page, "operations")
    page.click("table.messages a")
    page.wait_for_url("**/operations/messages/*")
    assert "Reason:" in page.content()
    page.click("form.retry button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("ol.history li").count() >= 3  # received, quarantined, and again after the retry
    shot(page, "operations-message")
