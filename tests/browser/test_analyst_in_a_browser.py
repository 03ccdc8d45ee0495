"""The analyst's work in a real browser (Debian's chromium driven by Playwright) against a running server:
sign in, work a hit from the queue to a confirmed decision, search with a purpose. Screenshots of the
main pages are saved as test artefacts (``OPENPIU_TEST_ARTIFACTS``, default ``build/screenshots``).

Needs ``chromium`` (Debian package; ``.ci/run`` installs it): skipped without it on a newcomer's machine,
a failure in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import require
from openpiu.clock import FixedClock
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.model import PnrPush, Watchlist, WatchlistEntry
from openpiu.model.access import Role
from openpiu.pipeline import Ingestor
from openpiu.pipeline.screening import ScreeningStage
from openpiu.services.accounts import AccountService, HashParameters
from openpiu.settings import Settings
from openpiu.store import open_store, upgrade
from openpiu.synth.corpus import demo_push
from openpiu.web.app import create_app

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(
    os.environ.get("OPENPIU_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)
AUTHORITIES = """
authorities:
  - id: bpol
    name: Federal Police, border directorate
    legal_basis: Art 6(2)(a) and 6(6) Directive (EU) 2016/681
    channel: {type: file, folder: inbox}
    actions: [border_check]
"""
LIST = Watchlist("NAT-TERR", "National list", "1", "police", "Art 6(3)(a)", "terrorism", "PIU supervisor")


@dataclass
class Server:
    url: str
    push: PnrPush
    settings: Settings
    inbox: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require("chromium", CHROMIUM is not None, "install Debian's chromium (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    (folder / "inbox").mkdir()
    (folder / "authorities.yml").write_text(AUTHORITIES)
    settings = Settings.from_env(
        {
            "OPENPIU_DATA_DIR": str(folder / "data"),
            "OPENPIU_CARD_HASH_KEY": "42" * 32,
            "OPENPIU_ALLOW_PLAIN_HTTP": "true",
            "OPENPIU_AUTHORITIES_FILE": str(folder / "authorities.yml"),
        }
    )
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
    cheap = HashParameters(time_cost=1, memory_kib=8, parallelism=1)
    accounts = AccountService.open(settings, clock, hashing=cheap)
    for role in (Role.ANALYST, Role.SUPERVISOR):
        accounts.add_user(role.value, role, PASSWORD, actor="cli:test")
    accounts.close()
    with serving(create_app(settings, clock, hashing=cheap)) as url:
        yield Server(url, push, settings, folder / "inbox")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The application served on a free local port while the block runs; yields its base URL."""
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright while the block runs."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(browser: Browser, server: Server, role: Role, start: str = "/hits") -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url + start)
    return signed_in(page, role)


def signed_in(page: Page, role: Role) -> Page:
    """Sign in on the sign-in form the page was sent to."""
    assert "/login" in page.url  # sent to sign in first
    page.fill("#username", role.value)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_an_analyst_works_a_hit_from_the_queue_to_a_decision(browser: Browser, server: Server) -> None:
    page = sign_in(browser, server, Role.ANALYST)
    assert page.url.endswith("/hits")
    shot(page, "queue")
    rows = page.locator("table.queue tbody tr")
    waiting = rows.count()
    assert waiting >= 2
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/hits/*")
    assert "Why it matched" in page.content()
    shot(page, "hit")
    page.check("input[value=confirmed]")
    page.click("form.decide button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("ol.decisions li").count() == 0  # an empty reason is refused (by the browser)
    page.check("input[value=confirmed]")
    page.fill("#reason", "name, date of birth and passport agree with the entry")
    page.click("form.decide button[type=submit]")
    page.wait_for_load_state()
    decisions = page.locator("ol.decisions li")
    assert decisions.count() == 1
    assert "confirmed" in decisions.first.inner_text()
    assert "by analyst" in decisions.first.inner_text()
    shot(page, "hit-decided")
    page.select_option("#recipient", "bpol/border_check")
    page.fill("#note", "border check on arrival, gate B12")
    page.click("text=Ask for approval")
    page.wait_for_url("**/transmissions/*")
    assert "requested" in page.locator("h1").inner_text()
    shot(page, "transmission-requested")
    transmission = page.url.removeprefix(server.url)
    assert not list(server.inbox.iterdir())  # nothing leaves before the second approval
    page.goto(server.url + "/hits")
    assert page.locator("table.queue tbody tr").count() == waiting - 1

    supervisor = sign_in(browser, server, Role.SUPERVISOR, start=transmission)
    supervisor.check("input[value=approve]")
    supervisor.fill("#reason", "grounds and content checked")
    supervisor.click("form.decide button[type=submit]")
    supervisor.wait_for_load_state()
    assert supervisor.locator("h1").inner_text().endswith(": sent")
    shot(supervisor, "transmission-sent")
    [delivered] = list(server.inbox.iterdir())
    assert "border check on arrival" in delivered.read_text()


def test_a_supervisor_sees_the_board_and_searches_with_a_purpose(browser: Browser, server: Server) -> None:
    assert server.push.flight is not None
    assert server.push.flight.departure is not None
    day = server.push.flight.departure.local.date().isoformat()
    page = sign_in(browser, server, Role.SUPERVISOR, start=f"/dashboard?day={day}")
    assert "Pushes per carrier" in page.content()
    shot(page, "dashboard")
    page.click("table >> nth=1 >> a")
    page.wait_for_load_state()
    assert "Manifest" in page.content()
    shot(page, "flight")
    person = next(t for b in server.push.bookings if not b.cancelled for t in b.travellers if t.given_names)
    page.goto(server.url + "/search")
    page.fill("#purpose", "request 2026/117 of the national police")
    page.fill("#surname", person.surname)
    page.fill("#from_date", day)
    page.fill("#to_date", day)
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    assert person.surname in page.locator("main table").inner_text()
    shot(page, "search")
