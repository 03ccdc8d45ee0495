"""The web application's security layer: every route's rule as every role, sign-in and out, CSRF,
session fixation, open redirects, security headers, and the audit of it all."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from openpiu.clock import FixedClock
from openpiu.model.access import Action, Actor, Role, can
from openpiu.services.accounts import AccountService, HashParameters
from openpiu.settings import Settings
from openpiu.store import AuditEvent, open_store, upgrade
from openpiu.web.app import create_app
from openpiu.web.security import (
    PUBLIC,
    PUBLIC_ROUTES,
    SESSION_COOKIE,
    SIGNED_IN,
    check_route_rules,
    require,
    route_rules,
    safe_next,
)

AT = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
CHEAP = HashParameters(time_cost=1, memory_kib=8, parallelism=1)
PASSWORD = "correct horse battery"
BASE = "https://testserver"
KEY = "42" * 32


def _settings(data_dir: Path, **extra: str) -> Settings:
    return Settings.from_env({"OPENPIU_DATA_DIR": str(data_dir), "OPENPIU_CARD_HASH_KEY": KEY, **extra})


#: Every route of the application and its rule, read once for the table-driven tests below.
RULES = route_rules(create_app(_settings(Path("unused"))))
GUARDED = sorted((m, p, r) for (m, p), r in RULES.items() if r not in (PUBLIC, None))


class Site:
    """One application for a module: a user of each role, a clock to move."""

    def __init__(self, app: FastAPI, settings: Settings, clock: FixedClock) -> None:
        self.app, self.settings, self.clock = app, settings, clock

    @property
    def accounts(self) -> AccountService:
        service: AccountService = self.app.state.accounts
        return service

    def client(self) -> TestClient:
        """A browser of its own (its own cookies); the application is already started."""
        return TestClient(self.app, base_url=BASE, follow_redirects=False)

    def events(self) -> list[AuditEvent]:
        store = open_store(self.settings.database_url, clock=self.clock)
        try:
            return store.events(limit=10_000)
        finally:
            store.close()


def _site(data_dir: Path, **extra: str) -> Iterator[Site]:
    settings = _settings(data_dir, **extra)
    upgrade(settings.database_url)
    clock = FixedClock(AT)
    app = create_app(settings, clock, hashing=CHEAP)
    with TestClient(app, base_url=BASE):
        site = Site(app, settings, clock)
        for role in Role:
            site.accounts.add_user(role.value, role, PASSWORD, actor="cli:test")
        yield site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(tmp_path_factory.mktemp("web") / "data")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Site]:
    """A site of its own, for tests that move its clock or disable users."""
    yield from _site(tmp_path / "data")


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def page_csrf(client: TestClient) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/").text)
    assert found
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next_: str | None = None) -> Response:
    page = client.get("/login")
    assert page.status_code == 200
    data = {"username": username, "password": password, "csrf_token": form_token(page.text)}
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data)


def signed_in(site: Site, role: Role) -> TestClient:
    client = site.client()
    assert login(client, role.value).status_code == 303
    return client


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


# --- the route rules --------------------------------------------------------------------------------


def test_every_route_has_a_rule() -> None:
    missing = [f"{m} {p}" for (m, p), rule in RULES.items() if rule is None]
    assert not missing, f"declare require(Action...) or signed_in on: {missing}"
    public = {(m, p) for (m, p), rule in RULES.items() if rule == PUBLIC}
    assert public == PUBLIC_ROUTES | {("MOUNT", "/static")}


def test_an_application_with_a_route_without_a_rule_does_not_start(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    router = APIRouter()

    @router.get("/leaky")
    def leaky() -> dict[str, str]:
        return {"personal": "data"}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="GET /leaky"):
        check_route_rules(app)


def test_conflicting_rules_are_refused(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    router = APIRouter()

    @router.get("/login/extra", dependencies=[Depends(require(Action.AUDIT_READ))])
    def two(actor: Annotated[Actor, Depends(require(Action.HITS_READ))]) -> None:
        return None

    app.include_router(router)
    assert route_rules(app)[("GET", "/login/extra")] is None


@pytest.mark.parametrize(("method", "path", "rule"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_anonymous_visitors_are_refused(site: Site, method: str, path: str, rule: object) -> None:
    response = site.client().request(method, concrete(path))
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "path", "rule"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_each_role_gets_what_its_rule_says(
    site: Site, method: str, path: str, rule: object, role: Role
) -> None:
    client = signed_in(site, role)
    headers = {"X-CSRF-Token": page_csrf(client)}
    response = client.request(method, concrete(path), headers=headers)
    allowed = rule == SIGNED_IN or can(role, str(rule))
    if allowed:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403


def test_the_public_routes_answer_without_a_session(site: Site) -> None:
    client = site.client()
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert client.post("/api/v1/push", content=b"x").status_code == 401  # its own credentials


# --- signing in and out -----------------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_secure_cookie(site: Site) -> None:
    client = site.client()
    response = login(client, "analyst")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= attributes
    home = client.get("/")
    assert home.status_code == 200
    assert "analyst" in home.text


def test_plain_http_may_be_allowed_for_a_demo(tmp_path: Path) -> None:
    for site in _site(tmp_path / "data", OPENPIU_ALLOW_PLAIN_HTTP="true"):
        client = TestClient(site.app, base_url="http://testserver", follow_redirects=False)
        response = login(client, "analyst")
        cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE))
        assert "secure" not in cookie.lower()
        assert client.get("/").status_code == 200


def test_the_served_application_freezes_what_start_up_made(tmp_path: Path) -> None:
    # `openpiu serve` runs serve_app: once started, the start-up's objects leave the collector's
    # generations (a full collection no longer walks them); an application built for tests does not.
    settings = _settings(tmp_path / "data")
    upgrade(settings.database_url)
    frozen = gc.get_freeze_count()
    with TestClient(create_app(settings, FixedClock(AT), hashing=CHEAP), base_url=BASE):
        assert gc.get_freeze_count() == frozen
    try:
        with TestClient(
            create_app(settings, FixedClock(AT), hashing=CHEAP, freeze_start_up=True), base_url=BASE
        ):
            assert gc.get_freeze_count() > frozen + 10_000
    finally:
        gc.unfreeze()  # the test process goes on: let the collector have them back


def test_wrong_password_shows_the_form_again(site: Site) -> None:
    client = site.client()
    response = login(client, "analyst", "not the password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert SESSION_COOKIE not in client.cookies
    response = login(client, "nobody", "not the password")
    assert response.status_code == 401


def test_a_cookie_set_before_sign_in_is_not_the_session_after(site: Site) -> None:
    client = site.client()
    planted = "attacker-chosen-value-0123456789abcdefghijklmnop"
    client.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    assert login(client, "analyst").status_code == 303
    assert client.cookies[SESSION_COOKIE] != planted
    attacker = site.client()
    attacker.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    assert attacker.get("/").status_code == 303  # the planted value never became a session


def test_an_old_session_presented_at_sign_in_ends(site: Site) -> None:
    old = signed_in(site, Role.ANALYST).cookies[SESSION_COOKIE]
    client = site.client()
    form = client.get("/login")
    client.cookies.set(SESSION_COOKIE, old, domain="testserver.local")
    data = {"username": "supervisor", "password": PASSWORD, "csrf_token": form_token(form.text)}
    assert client.post("/login", data=data).status_code == 303
    assert client.cookies[SESSION_COOKIE] != old
    stale = site.client()
    stale.cookies.set(SESSION_COOKIE, old, domain="testserver.local")
    assert stale.get("/").status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "evil.example",
        "javascript:alert(1)",
        "/\tevil",
        "///evil.example",
        "/login",
        "",
    ],
)
def test_open_redirects_land_on_the_home_page(site: Site, target: str) -> None:
    response = login(site.client(), "analyst", next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_safe_next_keeps_paths_on_this_site() -> None:
    assert safe_next("/users?page=2") == "/users?page=2"
    assert safe_next("/%0d%0aLocation:%20x") == "/%0d%0aLocation:%20x"  # encoded: only a path
    for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "/\r\nX: y", None, ""]:
        assert safe_next(bad) == "/"


def test_a_page_asked_for_before_sign_in_is_shown_after(site: Site) -> None:
    client = site.client()
    refused = client.get("/users")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/login?next=%2Fusers"
    form = client.get(refused.headers["location"])
    assert 'name="next" value="/users"' in form.text
    response = client.post(
        "/login",
        data={
            "username": "administrator",
            "password": PASSWORD,
            "csrf_token": form_token(form.text),
            "next": "/users",
        },
    )
    assert response.headers["location"] == "/users"
    assert client.get("/users").status_code == 200


def test_sign_out_ends_the_session_on_the_server(site: Site) -> None:
    client = signed_in(site, Role.SUPERVISOR)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/logout", data={"csrf_token": page_csrf(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    replay = site.client()
    replay.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    assert replay.get("/").status_code == 303
    assert replay.get("/openapi.json").status_code == 303


def test_a_disabled_users_session_stops_working(fresh: Site) -> None:
    client = signed_in(fresh, Role.ANALYST)
    assert client.get("/").status_code == 200
    fresh.accounts.disable("analyst", actor="cli:test")
    assert client.get("/").status_code == 303
    assert login(fresh.client(), "analyst").status_code == 401


def test_an_idle_session_ends(fresh: Site) -> None:
    client = signed_in(fresh, Role.ANALYST)
    fresh.clock.advance(timedelta(minutes=31))
    assert client.get("/").status_code == 303


def test_too_many_failures_are_throttled(fresh: Site) -> None:
    client = fresh.client()
    for _ in range(5):
        assert login(client, "analyst", "not the password").status_code == 401
    throttled = login(client, "analyst")
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.text
    fresh.clock.advance(timedelta(minutes=15))
    assert login(client, "analyst").status_code == 303


def test_sign_in_and_out_are_audited_without_secrets(fresh: Site) -> None:
    client = fresh.client()
    login(client, "dpo", "not the password")
    login(client, "dpo")
    token = client.cookies[SESSION_COOKIE]
    client.post("/logout", headers={"X-CSRF-Token": page_csrf(client)})
    events = [e for e in fresh.events() if e.action.startswith("user.log")]
    assert [(e.action, e.actor) for e in events] == [
        ("user.login_failed", "user:dpo"),
        ("user.login", "user:dpo"),
        ("user.logout", "user:dpo"),
    ]
    assert events[0].details["client"] == "testclient"
    text = repr(fresh.events())
    assert PASSWORD not in text
    assert "not the password" not in text
    assert token not in text


# --- CSRF -------------------------------------------------------------------------------------------


def test_state_changing_requests_need_the_csrf_token(site: Site) -> None:
    client = signed_in(site, Role.ANALYST)
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post("/logout", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    other = signed_in(site, Role.ANALYST)
    assert client.post("/logout", headers={"X-CSRF-Token": page_csrf(other)}).status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": page_csrf(client)}).status_code == 303


def test_the_sign_in_form_needs_its_own_token(site: Site) -> None:
    client = site.client()
    client.get("/login")
    data = {"username": "analyst", "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 403
    assert client.post("/login", data={**data, "csrf_token": "made up"}).status_code == 403
    forged = site.client()  # a form posted from elsewhere has no matching cookie
    token = form_token(client.get("/login").text)
    assert forged.post("/login", data={**data, "csrf_token": token}).status_code == 403
    assert SESSION_COOKIE not in forged.cookies


# --- pages and headers ------------------------------------------------------------------------------


def test_security_headers_on_every_answer(site: Site) -> None:
    client = signed_in(site, Role.ANALYST)
    for response in [client.get("/"), client.get("/login"), client.get("/health"), site.client().get("/")]:
        headers = response.headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    assert client.get("/static/style.css").headers.get("cache-control") != "no-store"


def test_pages_have_no_inline_script_nor_outside_resources(site: Site) -> None:
    client = signed_in(site, Role.ADMINISTRATOR)
    for path in ["/", "/users", "/login"]:
        html = client.get(path).text
        assert "<script" not in html
        assert "style=" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_navigation_shows_only_what_the_role_may_do(site: Site) -> None:
    admin = signed_in(site, Role.ADMINISTRATOR).get("/").text
    analyst = signed_in(site, Role.ANALYST).get("/").text
    assert 'href="/users"' in admin
    assert 'href="/users"' not in analyst
    assert "role <strong>analyst</strong>" in analyst
    assert "hits.decide" in analyst
    assert "users.manage" not in analyst
    assert 'action="/logout"' in analyst
    assert "UTC" in analyst


def test_reading_the_users_page_is_audited(fresh: Site) -> None:
    client = signed_in(fresh, Role.ADMINISTRATOR)
    page = client.get("/users")
    assert page.status_code == 200
    assert "supervisor" in page.text
    read = fresh.events()[-1]
    assert (read.actor, read.action, read.subject, read.reason) == (
        "user:administrator",
        "data.read",
        "users",
        "account administration",
    )
    assert read.details["path"] == "/users"


def test_the_api_answers_401_in_json(site: Site) -> None:
    response = site.client().get("/api/v1/anything")
    assert response.status_code in (401, 404)  # no such route yet: not found is fine, a 200 is not
    assert response.status_code != 200
